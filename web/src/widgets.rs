//! Small pieces of markup used many times. Each `html!` element costs
//! code in the wasm; built once here, they cost it once (web/README.md:
//! sizes).

use yew::prelude::*;

/// A `type="button"` button with its `data-action` test hook.
pub fn button(action: &'static str, label: &str, onclick: Callback<MouseEvent>) -> Html {
    html! { <button type="button" data-action={action} {onclick}>{ label.to_owned() }</button> }
}

/// `<option>`s: `(value, label)`, the one equal to `selected` selected.
pub fn options(choices: &[(&'static str, &str)], selected: &str) -> Html {
    html! {
        { for choices.iter().map(|&(value, label)| html! {
            <option {value} selected={value == selected}>{ label.to_owned() }</option>
        }) }
    }
}
