import type { JobEvent, JobEventListener } from './job-queue';

export interface EventHub {
  add(jobId: string, listener: JobEventListener): () => void;
  emit(event: JobEvent): void;
  has(jobId: string): boolean;
}

/** Listeners per job id; a throwing listener is reported and does not stop the others. */
export function createEventHub(reportError: (error: unknown, context: string) => void): EventHub {
  const listeners = new Map<string, Set<JobEventListener>>();
  return {
    add(jobId, listener) {
      let set = listeners.get(jobId);
      if (!set) {
        set = new Set();
        listeners.set(jobId, set);
      }
      set.add(listener);
      return () => {
        const current = listeners.get(jobId);
        if (!current) return;
        current.delete(listener);
        if (current.size === 0) listeners.delete(jobId);
      };
    },

    emit(event) {
      const set = listeners.get(event.jobId);
      if (!set) return;
      for (const listener of [...set]) {
        try {
          listener(event);
        } catch (error) {
          reportError(error, `job event listener for '${event.jobId}' threw`);
        }
      }
    },

    has: (jobId) => listeners.has(jobId),
  };
}
