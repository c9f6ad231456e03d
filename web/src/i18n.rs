//! The playground's own words in English and French. The core's messages,
//! help and fix titles are bilingual already ([`kube_immutable_core::Message`]).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// The code the core's `Message::get` and `<html lang>` take.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// `fr…` is French; anything else English.
    pub fn from_code(code: &str) -> Self {
        if code.trim().to_ascii_lowercase().starts_with("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }
}

/// Every fixed string of the interface, once per language.
#[derive(Debug)]
pub struct Texts {
    pub title: &'static str,
    pub tagline: &'static str,
    pub examples: &'static str,
    pub examples_placeholder: &'static str,
    pub language: &'static str,
    pub theme: &'static str,
    pub theme_auto: &'static str,
    pub theme_light: &'static str,
    pub theme_dark: &'static str,
    pub share: &'static str,
    pub share_copied: &'static str,
    pub share_too_large: &'static str,
    pub copy_failed: &'static str,
    pub dismiss: &'static str,
    pub reset: &'static str,
    pub editor_label: &'static str,
    pub goto_line: &'static str,
    pub goto: &'static str,
    pub check: &'static str,
    pub verdict_label: &'static str,
    pub verdict_immutable: &'static str,
    pub verdict_mutable: &'static str,
    pub verdict_invalid: &'static str,
    pub verdict_empty: &'static str,
    pub checking: &'static str,
    /// The verdict's title when the check of the text was stopped.
    pub check_stopped: &'static str,
    /// Before [`Texts::stopped`] in the fixed manifest tab.
    pub fix_stopped: &'static str,
    /// "It took longer than" (then the time, then `stopped_ended`).
    pub stopped_too_long: &'static str,
    pub stopped_ended: &'static str,
    /// The worker failed (out of memory, say) instead.
    pub stopped_failed: &'static str,
    /// What the user may do about it.
    pub stopped_then: &'static str,
    /// The findings panel when the check was stopped.
    pub nothing_checked: &'static str,
    pub fixing: &'static str,
    pub tab_findings: &'static str,
    pub tab_fixed: &'static str,
    pub tab_settings: &'static str,
    pub input_errors: &'static str,
    pub input_error: &'static str,
    /// The badge of a warning-level input problem (a duplicate key).
    pub input_warning: &'static str,
    pub pod_level: &'static str,
    pub container: &'static str,
    pub why_and_how: &'static str,
    pub rule_page: &'static str,
    pub safe_fix: &'static str,
    pub unsafe_fix: &'static str,
    pub no_fix: &'static str,
    pub no_findings: &'static str,
    /// Before the count of findings not listed yet (long reports).
    pub more_findings: &'static str,
    pub show_all: &'static str,
    pub namespace: &'static str,
    pub line: &'static str,
    pub column: &'static str,
    pub fixed_view: &'static str,
    pub diff_view: &'static str,
    pub apply: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub download: &'static str,
    pub unsafe_toggle: &'static str,
    pub unsafe_explained: &'static str,
    pub nothing_to_fix: &'static str,
    pub fixes_applied: &'static str,
    pub left_after_fixing: &'static str,
    /// ": " in English, "\u{a0}: " in French.
    pub colon: &'static str,
    pub rules: &'static str,
    pub level_default: &'static str,
    pub level_error: &'static str,
    pub level_warning: &'static str,
    pub level_off: &'static str,
    pub exemptions: &'static str,
    pub exempt_namespaces: &'static str,
    pub exempt_images: &'static str,
    pub exempt_containers: &'static str,
    pub one_per_line: &'static str,
    pub workloads: &'static str,
    pub workloads_label: &'static str,
    pub policy_mode: &'static str,
    pub mode_validate: &'static str,
    pub mode_mutate: &'static str,
    pub import: &'static str,
    pub import_label: &'static str,
    pub import_apply: &'static str,
    pub export: &'static str,
    pub export_cli: &'static str,
    pub export_policy: &'static str,
    pub export_vap: &'static str,
    pub reset_settings: &'static str,
    pub settings_refused: &'static str,
    pub bad_link: &'static str,
    pub open_full: &'static str,
    pub footer_private: &'static str,
    pub footer_rules: &'static str,
    pub footer_source: &'static str,
    pub core_version: &'static str,
    pub error_one: &'static str,
    pub error_many: &'static str,
    pub warning_one: &'static str,
    pub warning_many: &'static str,
    pub input_error_one: &'static str,
    pub input_error_many: &'static str,
    pub object_one: &'static str,
    pub object_many: &'static str,
    pub fixable_safe: &'static str,
    pub fixable_unsafe: &'static str,
}

impl Texts {
    /// "1 error", "2 errors"; French takes the singular for 0 and 1.
    pub fn count(&self, n: usize, one: &str, many: &str) -> String {
        let singular = if std::ptr::eq(self, &FR) {
            n <= 1
        } else {
            n == 1
        };
        format!("{n} {}", if singular { one } else { many })
    }

    pub fn errors(&self, n: usize) -> String {
        self.count(n, self.error_one, self.error_many)
    }

    pub fn warnings(&self, n: usize) -> String {
        self.count(n, self.warning_one, self.warning_many)
    }

    pub fn input_errors_count(&self, n: usize) -> String {
        self.count(n, self.input_error_one, self.input_error_many)
    }

    pub fn objects(&self, n: usize) -> String {
        self.count(n, self.object_one, self.object_many)
    }

    /// Why a check or fix was stopped (after `ms`, or `None`: the worker
    /// failed), and what to do.
    pub fn stopped(&self, ms: Option<u32>) -> String {
        match ms {
            Some(ms) if ms < 1000 => format!(
                "{} {ms}\u{a0}ms{}{}",
                self.stopped_too_long, self.stopped_ended, self.stopped_then
            ),
            Some(ms) => format!(
                "{} {}\u{a0}s{}{}",
                self.stopped_too_long,
                ms.div_ceil(1000),
                self.stopped_ended,
                self.stopped_then
            ),
            None => format!("{}{}", self.stopped_failed, self.stopped_then),
        }
    }

    /// "3 fixable, 4 more with unsafe fixes" (what the Fixed manifest tab does).
    pub fn fixable(&self, safe: usize, unsafe_: usize) -> String {
        let mut out = format!("{safe} {}", self.fixable_safe);
        if unsafe_ > 0 {
            out.push_str(&format!(", {unsafe_} {}", self.fixable_unsafe));
        }
        out
    }
}

pub static EN: Texts = Texts {
    title: "kube-immutable playground",
    tagline: "Is your container immutable? Paste a Kubernetes manifest and see.",
    examples: "Examples",
    examples_placeholder: "Load an example…",
    language: "Language",
    theme: "Theme",
    theme_auto: "System",
    theme_light: "Light",
    theme_dark: "Dark",
    share: "Copy share link",
    share_copied: "Share link copied to the clipboard.",
    share_too_large: "This manifest is too large for a share link (at most 2 MB).",
    copy_failed: "The browser refused to copy to the clipboard.",
    dismiss: "Dismiss",
    reset: "Reset to example",
    editor_label: "Kubernetes manifest (YAML or JSON)",
    goto_line: "Go to line",
    goto: "Go",
    check: "Check (Ctrl+Enter)",
    verdict_label: "Verdict",
    verdict_immutable: "Immutable",
    verdict_mutable: "Not immutable",
    verdict_invalid: "Cannot be read",
    verdict_empty: "No workload to check",
    checking: "Checking…",
    check_stopped: "Check stopped",
    fix_stopped: "Fixing stopped",
    stopped_too_long: "It took longer than",
    stopped_ended: " and was ended, as a hostile input (an alias bomb) would be.",
    stopped_failed: "The checker failed (out of memory?) and was restarted.",
    stopped_then: " The page still works: edit the manifest to check it again.",
    nothing_checked: "Nothing to show: the check of this text was stopped.",
    fixing: "Fixing…",
    tab_findings: "Findings",
    tab_fixed: "Fixed manifest",
    tab_settings: "Settings",
    input_errors: "Input problems",
    input_error: "input error",
    input_warning: "input warning",
    pod_level: "Pod and object level",
    container: "container",
    why_and_how: "Why it matters and how to fix it",
    rule_page: "Rule page",
    safe_fix: "Safe fix",
    unsafe_fix: "Unsafe fix",
    no_fix: "No automatic fix",
    no_findings: "No findings: every container here is immutable.",
    more_findings: "Findings not listed yet:",
    show_all: "Show them all",
    namespace: "namespace",
    line: "line",
    column: "column",
    fixed_view: "Fixed",
    diff_view: "Diff",
    apply: "Apply to editor",
    copy: "Copy",
    copied: "Copied to the clipboard.",
    download: "Download",
    unsafe_toggle: "Apply unsafe fixes too",
    unsafe_explained: "Unsafe fixes may break the workload: the image may need root, or the app may write where the root filesystem is now read-only.",
    nothing_to_fix: "Nothing to fix with these options.",
    fixes_applied: "Fixes applied",
    left_after_fixing: "Left after fixing",
    colon: ": ",
    rules: "Rules",
    level_default: "default",
    level_error: "error",
    level_warning: "warning",
    level_off: "off",
    exemptions: "Exemptions",
    exempt_namespaces: "Namespaces",
    exempt_images: "Images (globs: * and ?)",
    exempt_containers: "Container names (globs)",
    one_per_line: "one per line",
    workloads: "Custom resources",
    workloads_label: "Other kinds with pod specs, as under `workloads:` in a settings file",
    policy_mode: "Policy mode (Kubewarden)",
    mode_validate: "validate: accept or reject",
    mode_mutate: "mutate: apply the fixes",
    import: "Import a settings file",
    import_label: "A settings file, YAML or JSON (what `kube-immutable check --config` reads)",
    import_apply: "Apply these settings",
    export: "Export these settings",
    export_cli: "CLI config file",
    export_policy: "Kubewarden ClusterAdmissionPolicy",
    export_vap: "ValidatingAdmissionPolicy (no webhook)",
    reset_settings: "Reset settings",
    settings_refused: "The core refused these settings:",
    bad_link: "This share link cannot be read, so the example is shown instead",
    open_full: "Open in the full playground",
    footer_private: "Everything runs in your browser: the manifest is never sent anywhere.",
    footer_rules: "Rules",
    footer_source: "Source, CLI and Kubewarden policy",
    core_version: "core",
    error_one: "error",
    error_many: "errors",
    warning_one: "warning",
    warning_many: "warnings",
    input_error_one: "input error",
    input_error_many: "input errors",
    object_one: "object checked",
    object_many: "objects checked",
    fixable_safe: "fixable",
    fixable_unsafe: "more with unsafe fixes",
};

pub static FR: Texts = Texts {
    title: "Bac à sable kube-immutable",
    tagline: "Votre conteneur est-il immuable\u{a0}? Collez un manifeste Kubernetes pour le savoir.",
    examples: "Exemples",
    examples_placeholder: "Charger un exemple…",
    language: "Langue",
    theme: "Thème",
    theme_auto: "Système",
    theme_light: "Clair",
    theme_dark: "Sombre",
    share: "Copier le lien de partage",
    share_copied: "Lien de partage copié dans le presse-papiers.",
    share_too_large: "Ce manifeste est trop gros pour un lien de partage (2 Mo au plus).",
    copy_failed: "Le navigateur a refusé de copier dans le presse-papiers.",
    dismiss: "Fermer",
    reset: "Revenir à l'exemple",
    editor_label: "Manifeste Kubernetes (YAML ou JSON)",
    goto_line: "Aller à la ligne",
    goto: "Aller",
    check: "Vérifier (Ctrl+Entrée)",
    verdict_label: "Verdict",
    verdict_immutable: "Immuable",
    verdict_mutable: "Pas immuable",
    verdict_invalid: "Illisible",
    verdict_empty: "Aucune charge de travail à vérifier",
    checking: "Vérification…",
    check_stopped: "Vérification arrêtée",
    fix_stopped: "Correction arrêtée",
    stopped_too_long: "Elle a duré plus de",
    stopped_ended: " et a été interrompue, comme le serait une entrée hostile (une bombe d'alias).",
    stopped_failed: "Le vérificateur a échoué (mémoire épuisée\u{a0}?) et a été relancé.",
    stopped_then: " La page fonctionne toujours\u{a0}: modifiez le manifeste pour le vérifier à nouveau.",
    nothing_checked: "Rien à afficher\u{a0}: la vérification de ce texte a été arrêtée.",
    fixing: "Correction…",
    tab_findings: "Constats",
    tab_fixed: "Manifeste corrigé",
    tab_settings: "Réglages",
    input_errors: "Problèmes de lecture",
    input_error: "erreur de lecture",
    input_warning: "avertissement de lecture",
    pod_level: "Niveau du pod et de l'objet",
    container: "conteneur",
    why_and_how: "Pourquoi c'est important et comment corriger",
    rule_page: "Page de la règle",
    safe_fix: "Correction sûre",
    unsafe_fix: "Correction risquée",
    no_fix: "Pas de correction automatique",
    no_findings: "Aucun constat\u{a0}: tous les conteneurs sont immuables.",
    more_findings: "Constats pas encore listés\u{a0}:",
    show_all: "Les afficher tous",
    namespace: "espace de noms",
    line: "ligne",
    column: "colonne",
    fixed_view: "Corrigé",
    diff_view: "Différences",
    apply: "Appliquer dans l'éditeur",
    copy: "Copier",
    copied: "Copié dans le presse-papiers.",
    download: "Télécharger",
    unsafe_toggle: "Appliquer aussi les corrections risquées",
    unsafe_explained: "Une correction risquée peut casser la charge de travail\u{a0}: l'image peut avoir besoin de root, ou l'application écrire là où le système de fichiers racine est désormais en lecture seule.",
    nothing_to_fix: "Rien à corriger avec ces options.",
    fixes_applied: "Corrections appliquées",
    left_after_fixing: "Reste après correction",
    colon: "\u{a0}: ",
    rules: "Règles",
    level_default: "par défaut",
    level_error: "erreur",
    level_warning: "avertissement",
    level_off: "désactivée",
    exemptions: "Exemptions",
    exempt_namespaces: "Espaces de noms",
    exempt_images: "Images (motifs\u{a0}: * et\u{a0}?)",
    exempt_containers: "Noms de conteneurs (motifs)",
    one_per_line: "un par ligne",
    workloads: "Ressources personnalisées",
    workloads_label: "Autres types avec des spécifications de pod, comme sous `workloads:` dans un fichier de réglages",
    policy_mode: "Mode de la politique (Kubewarden)",
    mode_validate: "validate\u{a0}: accepter ou refuser",
    mode_mutate: "mutate\u{a0}: appliquer les corrections",
    import: "Importer un fichier de réglages",
    import_label: "Un fichier de réglages, YAML ou JSON (ce que lit `kube-immutable check --config`)",
    import_apply: "Appliquer ces réglages",
    export: "Exporter ces réglages",
    export_cli: "Fichier de configuration de la CLI",
    export_policy: "ClusterAdmissionPolicy Kubewarden",
    export_vap: "ValidatingAdmissionPolicy (sans webhook)",
    reset_settings: "Réinitialiser les réglages",
    settings_refused: "Le cœur a refusé ces réglages\u{a0}:",
    bad_link: "Ce lien de partage est illisible, l'exemple est affiché à la place",
    open_full: "Ouvrir dans le bac à sable complet",
    footer_private: "Tout se passe dans votre navigateur\u{a0}: le manifeste n'est jamais envoyé nulle part.",
    footer_rules: "Règles",
    footer_source: "Code source, CLI et politique Kubewarden",
    core_version: "cœur",
    error_one: "erreur",
    error_many: "erreurs",
    warning_one: "avertissement",
    warning_many: "avertissements",
    input_error_one: "erreur de lecture",
    input_error_many: "erreurs de lecture",
    object_one: "objet vérifié",
    object_many: "objets vérifiés",
    fixable_safe: "corrigibles",
    fixable_unsafe: "de plus avec les corrections risquées",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_plurals() {
        assert_eq!(Lang::from_code("fr-CA"), Lang::Fr);
        assert_eq!(Lang::from_code("FR"), Lang::Fr);
        assert_eq!(Lang::from_code("en-GB"), Lang::En);
        assert_eq!(Lang::from_code(""), Lang::En);
        assert_eq!(EN.errors(1), "1 error");
        assert_eq!(EN.errors(0), "0 errors");
        assert_eq!(FR.errors(0), "0 erreur");
        assert_eq!(FR.warnings(2), "2 avertissements");
        assert!(EN
            .stopped(Some(250))
            .starts_with("It took longer than 250\u{a0}ms and"));
        assert!(EN
            .stopped(Some(10_000))
            .starts_with("It took longer than 10\u{a0}s and"));
        assert!(FR
            .stopped(Some(1500))
            .starts_with("Elle a duré plus de 2\u{a0}s et"));
        assert!(FR.stopped(None).starts_with("Le vérificateur a échoué"));
    }
}
