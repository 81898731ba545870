import { useCallback, useEffect, useRef, useState } from "react";

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again, keeping the current data on screen meanwhile. */
  reload: () => void;
  /** Replaces the data locally (after a change the server confirmed). */
  set: (update: (prev: T | undefined) => T | undefined) => void;
}

/**
 * Runs `load` when the component mounts and on reload. Answers of earlier
 * runs that arrive late are dropped, so a slow first load never overwrites
 * a newer one.
 */
export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const run = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(() => {
    const n = ++run.current;
    setLoading(true);
    loader.current().then(
      (d) => {
        if (n !== run.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (n !== run.current) return;
        setError(e);
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    reload();
    return () => {
      run.current++;
    };
  }, [reload]);

  return { data, error, loading, reload, set: setData };
}
