//! The examples menu. The tutorial's two pods are the repository's own
//! `examples/`, the same files the CLI's first-minute walkthrough checks.
//!
//! Only the first, the page's first content, is in the wasm; the others are
//! data the page fetches as it loads (`examples.json`, written by
//! `web/js/build.mjs`, read through [`crate::js::example_text`]): 1.4 KB of
//! the gzipped wasm.

pub struct Example {
    /// Stable id (the menu's option value).
    pub id: &'static str,
    pub title_en: &'static str,
    pub title_fr: &'static str,
    /// The manifest's path from the repository's root (its key in
    /// `examples.json`).
    pub file: &'static str,
}

impl Example {
    pub fn title(&self, lang: crate::i18n::Lang) -> &'static str {
        match lang {
            crate::i18n::Lang::En => self.title_en,
            crate::i18n::Lang::Fr => self.title_fr,
        }
    }
}

pub static EXAMPLES: &[Example] = &[
    Example {
        id: "mutable-pod",
        title_en: "Tutorial: the mutable nginx pod",
        title_fr: "Tutoriel : le pod nginx mutable",
        file: "examples/mutable-pod.yaml",
    },
    Example {
        id: "immutable-pod",
        title_en: "Tutorial: the immutable nginx pod",
        title_fr: "Tutoriel : le pod nginx immuable",
        file: "examples/immutable-pod.yaml",
    },
    Example {
        id: "deployment",
        title_en: "Deployment with an init container",
        title_fr: "Deployment avec un conteneur d'initialisation",
        file: "web/examples/deployment.yaml",
    },
    Example {
        id: "cronjob",
        title_en: "CronJob",
        title_fr: "CronJob",
        file: "web/examples/cronjob.yaml",
    },
    Example {
        id: "helm-output",
        title_en: "Helm output with a broken document",
        title_fr: "Sortie de Helm avec un document cassé",
        file: "web/examples/helm-output.yaml",
    },
    Example {
        id: "json",
        title_en: "JSON manifest",
        title_fr: "Manifeste JSON",
        file: "web/examples/pod.json",
    },
    Example {
        id: "list",
        title_en: "List of objects (kubectl get -o yaml)",
        title_fr: "Liste d'objets (kubectl get -o yaml)",
        file: "web/examples/list.yaml",
    },
];

/// The content on a first visit: the tutorial's starting point, the first
/// example.
pub fn default_text() -> &'static str {
    include_str!("../../examples/mutable-pod.yaml")
}

pub fn by_id(id: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::tests::check_once;
    use crate::checker::Verdict;
    use kube_immutable_core::Settings;

    fn text(example: &Example) -> String {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        std::fs::read_to_string(format!("{root}/{}", example.file)).unwrap()
    }

    #[test]
    fn the_first_example_is_the_default_text() {
        assert_eq!(text(&EXAMPLES[0]), default_text());
    }

    /// Each example shows what its title promises.
    #[test]
    fn examples_say_what_they_show() {
        let verdict = |id: &str| check_once(&text(by_id(id).unwrap()), &Settings::default());
        assert_eq!(verdict("mutable-pod").verdict, Verdict::Mutable);
        assert_eq!(verdict("immutable-pod").verdict, Verdict::Immutable);
        for id in ["deployment", "cronjob", "json", "list"] {
            let c = verdict(id);
            assert_eq!(c.verdict, Verdict::Mutable, "{id}");
            assert!(c.input_errors.is_empty(), "{id}: {:?}", c.input_errors);
        }
        let helm = verdict("helm-output");
        assert_eq!(helm.verdict, Verdict::Invalid);
        assert_eq!(helm.input_errors.len(), 1, "{:?}", helm.input_errors);
        // The other documents are still checked.
        assert!(helm.objects >= 2 && helm.findings > 0);
        let list = verdict("list");
        assert!(
            list.groups.len() >= 2,
            "a List's items are objects of their own"
        );
        let deployment = verdict("deployment");
        assert!(
            deployment.groups[0].containers.len() >= 2,
            "init and app containers"
        );
    }
}
