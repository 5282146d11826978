// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import { stepOfCall, stepOfStored, ToolSteps, withResult } from './ToolSteps';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const call = { id: 'c1', app: 'web', skill: 'search', input: { q: 'cats' } };

describe('tool steps', () => {
  it('fills a result into its running call, keeps the input, and marks errors', () => {
    const running = [stepOfCall(call), stepOfCall({ ...call, id: 'c2' })];
    expect(running.map((step) => step.status)).toEqual(['running', 'running']);
    const done = withResult(running, { ...call, id: 'c2', output: 'boom', is_error: true, duration_ms: 1500 });
    expect(done[1]).toEqual({ ...call, id: 'c2', output: 'boom', status: 'error', durationMs: 1500 });
    expect(done[0]?.status).toBe('running');
  });

  it('shows a stored step stopped before its result as an error without output', async () => {
    const stopped = stepOfStored({ ...call, output: null, isError: false, durationMs: null });
    expect(stopped.status).toBe('error');
    const container = document.createElement('div');
    const root = createRoot(container);
    await act(async () =>
      root.render(
        <ToolSteps
          steps={[stopped, stepOfStored({ ...call, id: 'c2', output: 'found 3', isError: false, durationMs: 2300 })]}
        />,
      ),
    );
    const items = [...container.querySelectorAll('li')];
    expect(items.map((item) => item.querySelector('summary')?.textContent)).toEqual([
      'web / searcherror',
      'web / searchok2.3 s',
    ]);
    // Collapsed by default; input and output are inside the disclosure.
    expect(items[0]?.querySelector('details')?.open).toBe(false);
    expect(items[0]?.textContent).toContain('No result (stopped)');
    expect(items[1]?.textContent).toContain('"q": "cats"');
    await act(async () => root.unmount());
  });
});
