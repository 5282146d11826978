import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from '../lib/i18n';
import { useDarkTheme } from '../lib/preferences';
import { CopyButton } from './CopyButton';
import { renderMermaid } from './mermaid-renderer';

type Drawing = { svg: string } | { error: string };

/**
 * Drawings by theme and source: a row scrolled out of the virtual list and back, or an answer moving
 * from the live row to the saved list, shows its diagram again without asking Mermaid.
 */
const drawings = new Map<string, Drawing>();
const drawingCapacity = 200;

function remember(key: string, drawing: Drawing) {
  drawings.delete(key);
  drawings.set(key, drawing);
  if (drawings.size > drawingCapacity) {
    const oldest = drawings.keys().next().value;
    if (oldest !== undefined) drawings.delete(oldest);
  }
}

/**
 * A block whose closing fence has not arrived is drawn once its text has stayed the same this long: the
 * answer may have stopped there, or the model forgot the fence. While it still grows it stays source.
 */
export const openBlockDelayMs = 1_000;

/** Mermaid's parser explains over several lines (with an ASCII pointer); the first says where. */
function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n').find((text) => text.trim() !== '') ?? '';
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/**
 * A ```mermaid block: its source (`children`, the ordinary code block) until the diagram is drawn, then
 * the diagram with Copy and Show source; a diagram that does not parse stays source with a short reason.
 */
export function MermaidDiagram({ source, closed, children }: { source: string; closed: boolean; children: ReactNode }) {
  const { t } = useTranslation();
  const dark = useDarkTheme();
  const key = `${dark ? 'dark' : 'light'}\n${source}`;
  const [drawn, setDrawn] = useState<{ source: string; drawing: Drawing } | null>(null);
  const [showSource, setShowSource] = useState(false);
  // After a theme switch the old drawing stays up until the new one is ready, instead of flashing source.
  const drawing = drawings.get(key) ?? (drawn?.source === source ? drawn.drawing : undefined);

  useEffect(() => {
    const known = drawings.get(key);
    if (known) {
      setDrawn({ source, drawing: known });
      return;
    }
    let cancelled = false;
    const draw = () =>
      renderMermaid(source, dark).then(
        (svg) => ({ svg }),
        (error: unknown) => ({ error: shortReason(error) }),
      );
    const show = (result: Drawing) => {
      remember(key, result);
      if (!cancelled) setDrawn({ source, drawing: result });
    };
    const timer = setTimeout(() => void draw().then(show), closed ? 0 : openBlockDelayMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [key, source, dark, closed]);

  if (!drawing || 'error' in drawing) {
    return (
      <>
        {children}
        {drawing && (
          <p className="-mt-2 mb-3 text-xs text-red-700 dark:text-red-400" data-diagram-error="">
            {drawing.error ? t('markdown.diagramErrorReason', { reason: drawing.error }) : t('markdown.diagramError')}
          </p>
        )}
      </>
    );
  }
  return (
    <div className="my-3">
      <div className="mb-1 flex justify-end gap-1">
        <button
          type="button"
          aria-expanded={showSource}
          className="rounded px-2 py-0.5 text-xs underline"
          onClick={() => setShowSource((shown) => !shown)}
        >
          {showSource ? t('markdown.hideSource') : t('markdown.showSource')}
        </button>
        <CopyButton text={() => source} label={t('markdown.copyDiagram')} />
      </div>
      <div
        role="img"
        aria-label={t('markdown.diagram')}
        className="mermaid-diagram overflow-x-auto rounded bg-white p-2 dark:bg-slate-950"
        // Mermaid's own output at securityLevel 'strict': sanitized by its DOMPurify, labels as text only.
        // biome-ignore lint/security/noDangerouslySetInnerHtml: the SVG string is Mermaid's sanitized drawing
        dangerouslySetInnerHTML={{ __html: drawing.svg }}
      />
      {showSource && children}
    </div>
  );
}
