// A small typed event emitter: room.on(name, fn) returns an unsubscribe
// function; a listener that throws is reported on the console and does not
// stop the others (an app bug must not break the call).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private listeners = new Map<keyof Events, Set<Listener>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(name: K, fn: Events[K]): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(fn);
    return () => this.off(name, fn);
  }

  /** Adds a listener that runs at most once. */
  once<K extends keyof Events>(name: K, fn: Events[K]): () => void {
    const wrapped = ((...args: Parameters<Events[K]>) => {
      off();
      fn(...args);
    }) as Events[K];
    const off = this.on(name, wrapped);
    return off;
  }

  off<K extends keyof Events>(name: K, fn: Events[K]): void {
    this.listeners.get(name)?.delete(fn);
  }

  protected emit<K extends keyof Events>(name: K, ...args: Parameters<Events[K]>): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        console.error(`housecall: a "${String(name)}" listener threw`, err);
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
