use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::Severity;
use crate::rules::{container_images, declare_rule, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `mutable-image-tag`
    ///
    /// ## What it checks
    /// A container whose `image` has no tag or the tag `latest`, and no
    /// digest (`@sha256:…`; one finding per container, at the `image`
    /// value).
    /// All three container lists are checked; a container without `image`
    /// (a kustomize base, a patch) is skipped.
    ///
    /// ## Why it matters
    /// An image without a tag is `latest`, and `latest` is whatever was
    /// pushed last: the same manifest runs different code tomorrow, nodes
    /// that pulled at different times run different code today, and a
    /// rollback brings back the manifest but not the code. With
    /// `imagePullPolicy` defaulting to `Always` for `latest`, every restart
    /// may change the container. Immutability starts with knowing which
    /// code runs.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx:latest
    /// ```
    ///
    /// Use instead (a version, and better its digest):
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx:1.27.3@sha256:0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix: choosing a version, and finding its
    /// digest, needs the registry. `docker buildx imagetools inspect
    /// nginx:1.27.3` (or `crane digest nginx:1.27.3`) prints the digest to
    /// pin. The stricter `image-not-pinned` rule (off by default, an error
    /// in the `restricted` preset) asks for a digest on every image.
    ///
    /// ## References
    /// - [Kubernetes: Images, image names and tags](https://kubernetes.io/docs/concepts/containers/images/#image-names)
    /// - [Kubernetes: Configuration best practices, container images](https://kubernetes.io/docs/concepts/configuration/overview/#container-images)
    pub(crate) static MUTABLE_IMAGE_TAG = RuleMeta {
        id: "mutable-image-tag",
        default_severity: Severity::Warning,
        default_level: Level::Warning,
        summary: StaticMessage {
            en: "A container's image has no tag or the tag `latest`: its code can change under the same manifest",
            fr: "L'image d'un conteneur n'a pas d'étiquette ou a l'étiquette `latest` : son code peut changer sous le même manifeste",
        },
        fix: FixAvailability::None,
        docs_fr: crate::rules::doc_text(include_str!("mutable_image_tag.fr.md")),
        check: check,
    };
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    for (c, field, image, reference) in container_images(pod) {
        // A digest, even one `image-not-pinned` refuses, is not a moving tag.
        if reference.digest.is_some() {
            continue;
        }
        let latest = match reference.tag {
            None => false,
            Some("latest") => true,
            Some(_) => continue,
        };
        let who = c.label();
        let message = if latest {
            Message::new(
                format!("{} runs `{image}`: the `latest` tag moves, so the same manifest runs different code tomorrow", who.en),
                format!("{} exécute `{image}` : l'étiquette `latest` bouge, le même manifeste exécutera demain un autre code", who.fr),
            )
        } else {
            Message::new(
                format!("{} runs `{image}` without a tag: Kubernetes pulls `latest`, whatever it is that day", who.en),
                format!("{} exécute `{image}` sans étiquette : Kubernetes tire `latest`, quelle qu'elle soit ce jour-là", who.fr),
            )
        };
        let repository = reference.repository;
        out.emit(
            &MUTABLE_IMAGE_TAG,
            Violation {
                container: Some(c),
                span: field.value_span(),
                message,
                help: Message::new(
                    format!("Pin a version, and better its digest: `{repository}:<version>@sha256:<digest>` (`docker buildx imagetools inspect {repository}:<version>` prints the digest)."),
                    format!("Fixez une version, et mieux encore son empreinte : `{repository}:<version>@sha256:<empreinte>` (`docker buildx imagetools inspect {repository}:<version>` affiche l'empreinte)."),
                ),
                pointer: field.pointer(),
                fix: None,
            },
        );
    }
}
