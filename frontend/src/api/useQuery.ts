import { useCallback, useEffect, useState } from 'react';
import { failureOf, type Failure } from './results';

type Answer<T> = { data?: T; error?: unknown; response?: Response };

/**
 * Call the API when the page opens and whenever `call` changes (wrap it in
 * `useCallback` with what it depends on); `reload()` calls it again.
 */
export function useQuery<T>(call: () => Promise<Answer<T>>) {
  const [data, setData] = useState<T | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);

  const reload = useCallback(async () => {
    const { data, error, response } = await call();
    if (data === undefined) {
      setFailure(failureOf(error, response));
      return;
    }
    setFailure(null);
    setData(data);
  }, [call]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return { data, failure, setFailure, reload };
}
