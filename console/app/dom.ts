/**
 * The console's one way of making DOM: `h(tag, attrs, ...children)`. Text goes in
 * as text nodes and values as attributes, never as HTML, so a payload, an error or
 * a job type (all tenant data) is escaped by construction. eslint.config.mjs
 * forbids the HTML-string APIs (innerHTML, outerHTML, insertAdjacentHTML,
 * document.write) under console/.
 *
 * Event handler attributes (`on…`) and `style` are refused outright (the page's CSP
 * would block them anyway); `href` takes only links the console makes itself: an
 * in-page route (`#/…`) or an https URL the service's own config.json gave.
 */

/** An attribute's value: `true` sets it empty, `false`/null/undefined leave it out. */
export type AttributeValue = string | number | boolean | null | undefined;
export type Attributes = Readonly<Record<string, AttributeValue>>;
/** What an element may contain: nodes and text, nested lists of them; null/undefined/false are skipped. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  element.append(...nodesOf(children));
  return element;
}

/** Sets (or removes, for false/null/undefined) each attribute, with the rules above. */
export function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('on') || lower === 'style' || lower === 'srcdoc') throw new Error(`The console never sets the ${name} attribute.`);
    if (value === false || value === null || value === undefined) {
      element.removeAttribute(name);
      continue;
    }
    const text = value === true ? '' : String(value);
    if ((lower === 'href' || lower === 'src' || lower === 'action') && !isOwnLink(text)) throw new Error(`Refused ${name}: ${text}`);
    element.setAttribute(name, text);
  }
}

/** Replaces what `parent` contains. */
export function replaceContent(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...nodesOf(children));
}

/** Sets an element's text only when it changed (a refresh then leaves selections and screen readers alone). */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** An in-page route or an https URL; never `javascript:`, `data:` or a relative path to elsewhere. */
function isOwnLink(url: string): boolean {
  return url.startsWith('#') || /^https:\/\/[^\s]+$/.test(url);
}

function nodesOf(children: readonly Child[]): Node[] {
  const nodes: Node[] = [];
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (typeof child === 'string' || typeof child === 'number') nodes.push(document.createTextNode(String(child)));
    else if (child instanceof Node) nodes.push(child);
    else nodes.push(...nodesOf(child));
  }
  return nodes;
}
