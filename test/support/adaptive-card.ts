import { createRequire } from 'node:module';
import { JSDOM } from 'jsdom';
import { marked } from 'marked';

// The package's `lib/` is ESM without file extensions, which Node cannot load; `dist/` is its UMD build.
const AdaptiveCards = createRequire(import.meta.url)(
  'adaptivecards/dist/adaptivecards.js',
) as typeof import('adaptivecards');

/** What Microsoft's own renderer made of a card. */
export interface RenderedCard {
  /** Parse warnings and errors (unknown elements or properties, invalid values). */
  readonly events: readonly { readonly message: string }[];
  /** Links in the rendered card. */
  readonly links: readonly string[];
  /** The card's text as shown. */
  readonly text: string;
}

/**
 * Parses and renders an Adaptive Card with the `adaptivecards` library in a jsdom window, with a
 * CommonMark processor (marked) for the text that the card says is markdown, as Teams would render
 * it: markdown that a name smuggled in shows up as a link here.
 */
export function renderAdaptiveCard(card: unknown): RenderedCard {
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  // jsdom has no innerText, which the renderer sets text with.
  Object.defineProperty(dom.window.HTMLElement.prototype, 'innerText', {
    get(this: HTMLElement) {
      return this.textContent;
    },
    set(this: HTMLElement, value: string) {
      this.textContent = value;
    },
  });
  const globals = {
    window: dom.window,
    document: dom.window.document,
    HTMLElement: dom.window.HTMLElement,
    Node: dom.window.Node,
  };
  const saved = Object.fromEntries(
    Object.keys(globals).map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)]),
  );
  Object.assign(globalThis, globals);
  try {
    AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
      result.outputHtml = marked.parse(text, { async: false }) as string;
      result.didProcess = true;
    };
    const parsed = new AdaptiveCards.AdaptiveCard();
    const context = new AdaptiveCards.SerializationContext();
    parsed.parse(card as object, context);
    const events = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i));
    const element = parsed.render();
    if (!element) throw new Error('the card did not render');
    return {
      events: events.map((e) => ({ message: e.message })),
      links: Array.from(element.querySelectorAll('a'), (a) => a.href),
      text: element.textContent ?? '',
    };
  } finally {
    for (const [key, descriptor] of Object.entries(saved)) {
      if (descriptor) Object.defineProperty(globalThis, key, descriptor);
      else delete (globalThis as Record<string, unknown>)[key];
    }
  }
}
