// `--out`, k6 style: the run records' folder, and (repeatable) streams of results while the run
// goes — `prometheus-rw=URL` (Prometheus remote write) and `ndjson=FILE` (JSON lines). Only those
// two prefixes are streams; any other value is the folder, of which there is at most one.
import { UserError } from '../util/errors.js';
import { redactUrl, rememberSecrets, urlSecrets } from '../util/redact.js';

export type StreamTarget = { kind: 'prometheus-rw'; url: string } | { kind: 'ndjson'; file: string };

export interface OutTargets {
  /** The records' folder, when one was given (else the scenario's, `reports` by default). */
  dir?: string;
  streams: StreamTarget[];
}

export const STREAM_KINDS = ['prometheus-rw', 'ndjson'] as const;

/**
 * Reads every `--out` value. A URL's password and secret query values are remembered as secrets
 * first, so no message or line printed later shows them.
 */
export function parseOutTargets(values: readonly string[]): OutTargets {
  const out: OutTargets = { streams: [] };
  for (const value of values) {
    const m = /^([a-z][a-z0-9-]*)=(.*)$/s.exec(value);
    const kind = m?.[1];
    if (kind === 'prometheus-rw') {
      const url = m![2]!.trim();
      rememberSecrets(urlSecrets(url));
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        throw new UserError(
          `--out prometheus-rw=${redactUrl(url)}: expected an http:// or https:// URL (e.g. http://127.0.0.1:9090/api/v1/write)`,
        );
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new UserError(`--out prometheus-rw=${redactUrl(url)}: expected an http:// or https:// URL, got ${u.protocol}//`);
      out.streams.push({ kind, url });
    } else if (kind === 'ndjson') {
      const file = m![2]!;
      if (file.trim() === '') throw new UserError('--out ndjson=FILE: the file name is missing');
      if (out.streams.some((s) => s.kind === 'ndjson' && s.file === file))
        throw new UserError(`--out ndjson=${file}: given twice (one stream per file)`);
      out.streams.push({ kind, file });
    } else {
      if (value.trim() === '') throw new UserError('--out: the folder name is missing');
      if (out.dir !== undefined && out.dir !== value)
        throw new UserError(
          `--out ${value}: a second records folder (already ${out.dir}); only ${STREAM_KINDS.map((k) => `${k}=`).join(' and ')} may be given more than once`,
        );
      out.dir = value;
    }
  }
  return out;
}
