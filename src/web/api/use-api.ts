/** React hook: load a GET route, re-load when the path changes or on demand. */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, apiGet } from './client.js';

export interface ApiState<T> {
  /** The last successful response; undefined while the first load runs or after an error. */
  readonly data: T | undefined;
  readonly error: ApiError | undefined;
  readonly loading: boolean;
  /** Loads again (e.g. after a live event says the data changed). */
  readonly reload: () => void;
}

/** Loads `path` (skipped when null). */
export function useApi<T>(path: string | null): ApiState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the reload trigger
  useEffect(() => {
    if (path === null) return;
    let current = true;
    setLoading(true);
    apiGet<T>(path).then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (reason: unknown) => {
        if (!current) return;
        setError(reason instanceof ApiError ? reason : new ApiError(0, 'CW_ERR_UI', String(reason)));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [path, generation]);

  return { data, error, loading, reload };
}
