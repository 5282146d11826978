import { act } from 'react';

/**
 * Waits for the page to reach a state: runs the check after each turn of React's
 * queue (react-query schedules its updates with timers) until it stops throwing,
 * and returns what it returned. Time never decides the outcome; the bound only
 * ends a wait for something that never comes.
 */
export async function until<T>(check: () => T, turns = 2000): Promise<T> {
  for (let turn = 0; ; turn++) {
    try {
      return check();
    } catch (error) {
      if (turn >= turns) throw error;
      await act(async () => new Promise((resolve) => setTimeout(resolve, 5)));
    }
  }
}
