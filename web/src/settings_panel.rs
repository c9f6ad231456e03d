//! The settings panel: per-rule level, exemptions, the policy's mode, and
//! exports (CLI config file, Kubewarden `ClusterAdmissionPolicy`,
//! ValidatingAdmissionPolicies for the API server itself). Every
//! change goes through the core's `Settings::from_json`, whose refusal is
//! shown as is.

use std::rc::Rc;

use kube_immutable_core::{ContainerExemption, Level, Mode, Settings, RULES};
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::browser;
use crate::export;
use crate::i18n::Lang;
use crate::widgets::{button, options};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub settings: Rc<Settings>,
    pub lang: Lang,
    pub on_change: Callback<Settings>,
}

#[derive(Clone, Copy, PartialEq)]
enum Export {
    Cli,
    Policy,
    Vap,
}

fn level_value(level: Option<&Level>) -> &'static str {
    match level {
        None => "default",
        Some(Level::Error) => "error",
        Some(Level::Warning) => "warning",
        Some(Level::Off) => "off",
    }
}

/// The `workloads` setting as the panel shows it: the settings file's
/// YAML for the list (what `kube-immutable check --config` reads under
/// `workloads:`).
fn workloads_text(settings: &Settings) -> String {
    let mut text = String::new();
    if let Some(list) = crate::share::settings_json(settings).get("workloads") {
        export::to_yaml(list, 0, &mut text);
    }
    text
}

fn lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::Value::String(l.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_show_as_the_settings_files_yaml_and_read_back() {
        let text = "- apiVersion: pipelines.example.com/v1\n  kind: Runner\n  podSpecs: [/spec/runner/podSpec, /spec/sidecars/*/podSpec]\n- {apiVersion: argoproj.io/*, kind: Rollout, podSpecs: [/spec/preview/spec], replace: true}\n";
        let value = serde_json::json!({ "workloads": export::read_yaml(text).unwrap() });
        let settings = Settings::from_json(value).unwrap();
        assert_eq!(settings.workloads.len(), 2);
        assert!(settings.workloads[1].replace);
        let shown = workloads_text(&settings);
        assert!(
            shown.starts_with("- apiVersion: pipelines.example.com/v1\n  kind: Runner\n"),
            "{shown}"
        );
        let again = serde_json::json!({ "workloads": export::read_yaml(&shown).unwrap() });
        assert_eq!(Settings::from_json(again).unwrap(), settings);
        assert_eq!(workloads_text(&Settings::default()), "");
        assert!(export::read_yaml("- [\n").is_err());
    }
}

#[component]
pub fn SettingsPanel(props: &Props) -> Html {
    let texts = props.lang.texts();
    let error = use_state(|| None::<String>);
    let export = use_state(|| None::<Export>);

    // Apply one change to the settings as JSON, then let the core judge it.
    let change = {
        let (settings, on_change, error) = (
            props.settings.clone(),
            props.on_change.clone(),
            error.clone(),
        );
        move |edit: Box<dyn Fn(&mut serde_json::Value)>| {
            let mut value = settings.to_json();
            edit(&mut value);
            match Settings::from_json(value) {
                Ok(s) => {
                    error.set(None);
                    on_change.emit(s);
                }
                Err(e) => error.set(Some(e.0)),
            }
        }
    };
    let change = Rc::new(change);

    let rule_rows = RULES.iter().map(|rule| {
        let id = rule.id;
        let current = level_value(props.settings.rules.get(id));
        let change = change.clone();
        let onchange = Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            change(Box::new(move |s| {
                if value == "default" {
                    if let Some(rules) = s["rules"].as_object_mut() {
                        rules.remove(id);
                    }
                } else {
                    s["rules"][id] = serde_json::Value::String(value.clone());
                }
            }));
        });
        let default = match rule.default_severity {
            kube_immutable_core::Severity::Error => texts.level_error,
            kube_immutable_core::Severity::Warning => texts.level_warning,
        };
        let select_id = format!("level-{id}");
        html! {
            <tr>
                <th scope="row"><label for={select_id.clone()}><code>{ id }</code></label></th>
                <td>{ rule.summary.get(props.lang.code()) }</td>
                <td>
                    <select id={select_id} onchange={onchange} data-setting-rule={id}>
                        { options(&[
                            ("default", &format!("{} ({default})", texts.level_default)),
                            ("error", texts.level_error),
                            ("warning", texts.level_warning),
                            ("off", texts.level_off),
                        ], current) }
                    </select>
                </td>
            </tr>
        }
    });

    // A list: an exemption list (one item a line), or the declared
    // workloads (the settings file's YAML).
    let list_field = |key: &'static str, label: Html, value: String| {
        let (change, error) = (change.clone(), error.clone());
        let onchange = Callback::from(move |e: Event| {
            let text = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            if key == "workloads" {
                // An empty text (read as `{}`) is no workloads.
                match export::read_yaml(&text) {
                    Ok(list) => change(Box::new(move |s| {
                        s[key] = if list.as_object().is_some_and(serde_json::Map::is_empty) {
                            serde_json::Value::Array(Vec::new())
                        } else {
                            list.clone()
                        }
                    })),
                    Err(message) => error.set(Some(message)),
                }
            } else {
                let list = lines(&text);
                change(Box::new(move |s| {
                    // The panel edits name globs; container exemptions tied to
                    // images or namespaces (from an imported file) are kept.
                    let mut value = list.clone();
                    if let Some(current) = s["exemptions"][key].as_array() {
                        value.extend(current.iter().filter(|v| v.is_object()).cloned());
                    }
                    s["exemptions"][key] = serde_json::Value::Array(value)
                }));
            }
        });
        let workloads = key == "workloads";
        let id = if workloads {
            key.to_owned()
        } else {
            format!("exempt-{key}")
        };
        html! {
            <div class="field">
                <label for={id.clone()}>
                    { label }
                    if !workloads {
                        <span class="muted">{ format!(" ({})", texts.one_per_line) }</span>
                    }
                </label>
                <textarea {id} rows="3" spellcheck="false" onchange={onchange}
                    data-setting-exempt={(!workloads).then_some(key)}
                    data-setting={workloads.then_some(key)} {value} />
            </div>
        }
    };
    let exemption = |key: &'static str, label: &'static str, values: &[String]| {
        list_field(key, html! { label }, values.join("\n"))
    };

    let import_ref = use_node_ref();
    let on_import = {
        let (import_ref, on_change, error) =
            (import_ref.clone(), props.on_change.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(area) = import_ref.cast::<HtmlTextAreaElement>() else {
                return;
            };
            match export::read_settings(&area.value()) {
                Ok(s) => {
                    error.set(None);
                    on_change.emit(s);
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };

    let on_mode = {
        let change = change.clone();
        Callback::from(move |e: Event| {
            let mode = e.target_unchecked_into::<HtmlSelectElement>().value();
            change(Box::new(move |s| {
                s["mode"] = serde_json::Value::String(mode.clone())
            }));
        })
    };
    let on_reset = {
        let (on_change, error) = (props.on_change.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            error.set(None);
            on_change.emit(Settings::default());
        })
    };
    let show = |which: Export| {
        let export = export.clone();
        Callback::from(move |_: MouseEvent| export.set(Some(which)))
    };

    let exported = (*export).map(|which| {
        let (text, file) = match which {
            Export::Cli => (export::cli_config(&props.settings), "kube-immutable.yaml"),
            Export::Policy => (
                export::cluster_admission_policy(&props.settings),
                "kube-immutable-policy.yaml",
            ),
            Export::Vap => (
                export::validating_admission_policy(&props.settings),
                "kube-immutable-vap.yaml",
            ),
        };
        let copy = {
            let text = text.clone();
            Callback::from(move |_: MouseEvent| browser::copy(&text, |_| {}))
        };
        let download = {
            let text = text.clone();
            Callback::from(move |_: MouseEvent| browser::download(file, &text, "application/yaml"))
        };
        html! {
            <div class="export-output">
                <div class="fix-actions">
                    <code>{ file }</code>
                    { button("copy-export", texts.copy, copy) }
                    { button("download-export", texts.download, download) }
                </div>
                <pre class="code" tabindex="0" data-export={file}>{ text }</pre>
            </div>
        }
    });

    let ex = &props.settings.exemptions;
    let container_names: Vec<String> = ex
        .containers
        .iter()
        .filter_map(|c| match c {
            ContainerExemption::Name(name) => Some(name.clone()),
            ContainerExemption::Tied(_) => None,
        })
        .collect();
    html! {
        <div class="settings">
            if let Some(message) = &*error {
                <p class="notice notice-error" role="alert" data-settings-error="">
                    { texts.settings_refused }{ " " }{ message }
                </p>
            }
            <h2>{ texts.rules }</h2>
            <table class="rules">
                <tbody>{ for rule_rows }</tbody>
            </table>
            <h2>{ texts.exemptions }</h2>
            { exemption("namespaces", texts.exempt_namespaces, &ex.namespaces) }
            { exemption("images", texts.exempt_images, &ex.images) }
            { exemption("containers", texts.exempt_containers, &container_names) }
            <h2>{ texts.workloads }</h2>
            { list_field("workloads", crate::findings::rich(texts.workloads_label), workloads_text(&props.settings)) }
            <div class="field">
                <label for="policy-mode">{ texts.policy_mode }</label>
                <select id="policy-mode" onchange={on_mode} data-setting="mode">
                    { options(&[("validate", texts.mode_validate), ("mutate", texts.mode_mutate)],
                        if props.settings.mode == Mode::Mutate { "mutate" } else { "validate" }) }
                </select>
            </div>
            <p>{ button("reset-settings", texts.reset_settings, on_reset) }</p>
            <h2>{ texts.import }</h2>
            <div class="field">
                <label for="import-settings">{ crate::findings::rich(texts.import_label) }</label>
                <textarea id="import-settings" ref={import_ref} rows="4" spellcheck="false"
                    placeholder="rules:\n  may-run-as-root: error" data-setting="import" />
            </div>
            <p>{ button("import-settings", texts.import_apply, on_import) }</p>
            <h2>{ texts.export }</h2>
            <div class="fix-actions">
                { button("export-cli", texts.export_cli, show(Export::Cli)) }
                { button("export-policy", texts.export_policy, show(Export::Policy)) }
                { button("export-vap", texts.export_vap, show(Export::Vap)) }
            </div>
            { for exported }
        </div>
    }
}
