/**
 * Draws Mermaid source as SVG. Mermaid (with d3 and its diagram grammars, over a megabyte) is imported
 * on the first diagram, so it is its own chunk and the main bundle does not carry it. Tests replace this
 * module (vi.mock): happy-dom has no layout, which Mermaid needs to measure text.
 */
type Mermaid = typeof import('mermaid').default;

let loading: Promise<Mermaid> | null = null;
let initializedTheme: boolean | null = null;
/** Mermaid keeps one global configuration, so diagrams are drawn one at a time. */
let queue: Promise<unknown> = Promise.resolve();
let sequence = 0;

function loadMermaid(): Promise<Mermaid> {
  loading ??= import('mermaid').then(
    (module) => module.default,
    (error: unknown) => {
      loading = null;
      throw error;
    },
  );
  return loading;
}

async function draw(source: string, dark: boolean): Promise<string> {
  const mermaid = await loadMermaid();
  if (initializedTheme !== dark) {
    mermaid.initialize({
      startOnLoad: false,
      // Labels are text, never HTML or scripts from the model; click handlers are off.
      securityLevel: 'strict',
      theme: dark ? 'dark' : 'default',
      // A bad diagram throws instead of drawing Mermaid's large error picture.
      suppressErrorRendering: true,
    });
    initializedTheme = dark;
  }
  // Mermaid measures text, so it draws in the document: in a hidden box of ours, removed afterwards,
  // instead of the temporary elements it would otherwise add to (and on an error leave in) the body.
  const scratch = document.createElement('div');
  scratch.setAttribute('aria-hidden', 'true');
  scratch.style.cssText = 'position:absolute;left:-10000px;top:0;width:800px;visibility:hidden';
  document.body.append(scratch);
  try {
    sequence += 1;
    const { svg } = await mermaid.render(`switchyard-mermaid-${sequence}`, source, scratch);
    return svg;
  } finally {
    scratch.remove();
  }
}

/** The SVG markup of a diagram (sanitized by Mermaid's strict level); rejects with Mermaid's error on bad source. */
export function renderMermaid(source: string, dark: boolean): Promise<string> {
  const result = queue.then(() => draw(source, dark));
  queue = result.catch(() => {});
  return result;
}
