// Types of the <kube-immutable-check> element (kube-immutable-check.js).

/** The playground's address the element links to when it has no `playground` attribute. */
export declare const DEFAULT_PLAYGROUND: string;

/** Text written inside HTML: blank first and last lines and the common indentation removed. */
export declare function dedent(text: string): string;

/**
 * `<kube-immutable-check>`: checks the manifest it holds (its text, a
 * `<script type="text/yaml">` child, or `src`) and shows the verdict, the
 * marked lines and the findings, with an "Open in the playground" link.
 * Attributes: `lang`, `playground`, `settings` (JSON), `src`.
 */
export declare class KubeImmutableCheck extends HTMLElement {
  static observedAttributes: string[];
  /** The manifest checked; setting it checks the new text. */
  source: string;
  connectedCallback(): void;
  attributeChangedCallback(name: string, before: string | null, after: string | null): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "kube-immutable-check": KubeImmutableCheck;
  }
}
