//! The examples menu. The tutorial's two pods are the repository's own
//! `examples/`, the same files the CLI's first-minute walkthrough checks.

pub struct Example {
    /// Stable id (the menu's option value).
    pub id: &'static str,
    pub title_en: &'static str,
    pub title_fr: &'static str,
    pub text: &'static str,
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
        text: include_str!("../../examples/mutable-pod.yaml"),
    },
    Example {
        id: "immutable-pod",
        title_en: "Tutorial: the immutable nginx pod",
        title_fr: "Tutoriel : le pod nginx immuable",
        text: include_str!("../../examples/immutable-pod.yaml"),
    },
    Example {
        id: "deployment",
        title_en: "Deployment with an init container",
        title_fr: "Deployment avec un conteneur d'initialisation",
        text: include_str!("../examples/deployment.yaml"),
    },
    Example {
        id: "cronjob",
        title_en: "CronJob",
        title_fr: "CronJob",
        text: include_str!("../examples/cronjob.yaml"),
    },
    Example {
        id: "helm-output",
        title_en: "Helm output with a broken document",
        title_fr: "Sortie de Helm avec un document cassé",
        text: include_str!("../examples/helm-output.yaml"),
    },
    Example {
        id: "json",
        title_en: "JSON manifest",
        title_fr: "Manifeste JSON",
        text: include_str!("../examples/pod.json"),
    },
    Example {
        id: "list",
        title_en: "List of objects (kubectl get -o yaml)",
        title_fr: "Liste d'objets (kubectl get -o yaml)",
        text: include_str!("../examples/list.yaml"),
    },
];

/// The content on a first visit: the tutorial's starting point.
pub fn default_text() -> &'static str {
    EXAMPLES[0].text
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

    /// Each example shows what its title promises.
    #[test]
    fn examples_say_what_they_show() {
        let verdict = |id: &str| check_once(by_id(id).unwrap().text, &Settings::default());
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
