use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::Severity;
use crate::rules::{container_images, declare_rule, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `image-not-pinned`
    ///
    /// ## What it checks
    /// A container whose `image` has no `@sha256:` digest (64 hexadecimal
    /// digits), whatever its tag (one finding per container, at the `image`
    /// value). All three container lists are checked; a container without
    /// `image` is skipped. **Off by default**; the `restricted` preset makes
    /// it an error.
    ///
    /// ## Why it matters
    /// A tag is a name the registry can point at other code at any time:
    /// `nginx:1.27` gets every patch release, and a compromised or
    /// careless publisher can push anything under any tag. A digest names
    /// the content itself: the manifest then says exactly which bytes run,
    /// on every node, after every restart and every rollback. It is off by
    /// default because pinning every image needs tooling (Renovate,
    /// Dependabot, `kustomize edit set image`) to keep the digests current.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx:1.27.3
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx:1.27.3@sha256:0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix: the digest comes from the registry
    /// (`docker buildx imagetools inspect nginx:1.27.3`, `crane digest
    /// nginx:1.27.3`). Keep the tag in front of the digest for readers; the
    /// digest alone decides what is pulled.
    ///
    /// ## References
    /// - [Kubernetes: Images, image names and tags](https://kubernetes.io/docs/concepts/containers/images/#image-names)
    /// - [Kubernetes: Configuration best practices, container images](https://kubernetes.io/docs/concepts/configuration/overview/#container-images)
    pub(crate) static IMAGE_NOT_PINNED = RuleMeta {
        id: "image-not-pinned",
        default_severity: Severity::Error,
        default_level: Level::Off,
        summary: StaticMessage {
            en: "A container's image is not pinned by an `@sha256:` digest",
            fr: "L'image d'un conteneur n'est pas fixée par une empreinte `@sha256:`",
        },
        fix: FixAvailability::None,
        docs_fr: crate::rules::doc_text(include_str!("image_not_pinned.fr.md")),
        check: check,
    };
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    for (c, field, image, reference) in container_images(pod) {
        if reference.sha256_digest().is_some() {
            continue;
        }
        let who = c.label();
        let named = match reference.tag {
            Some(tag) => format!("{}:{tag}", reference.repository),
            None => reference.repository.to_owned(),
        };
        let mut help = Message::new(
            format!("Pin the image by digest: `{named}@sha256:<digest>` (`docker buildx imagetools inspect {named}` prints it)."),
            format!("Fixez l'image par son empreinte : `{named}@sha256:<empreinte>` (`docker buildx imagetools inspect {named}` l'affiche)."),
        );
        if reference.digest.is_some() {
            help.push(&Message::new(
                " The digest here is not `sha256:` followed by 64 hexadecimal digits.",
                " L'empreinte indiquée n'est pas `sha256:` suivi de 64 chiffres hexadécimaux.",
            ));
        }
        out.emit(
            &IMAGE_NOT_PINNED,
            Violation {
                container: Some(c),
                span: field.value_span(),
                message: Message::new(
                    format!("{} runs `{image}`, not pinned by digest: the registry can serve other code under it", who.en),
                    format!("{} exécute `{image}`, sans empreinte : le registre peut servir un autre code sous ce nom", who.fr),
                ),
                help,
                pointer: field.pointer(),
                fix: None,
            },
        );
    }
}
