// A run's first step: the target opened, and the server `--server-cmd` starts with it.
import { UserError, EXIT_USAGE } from '../util/errors.js';
import { redactUrl } from '../util/redact.js';
import type { Scenario } from '../scenario/types.js';
import { IdMap } from '../measurement/idMap.js';
import type { RunState } from './runState.js';
import { openTarget, type TargetHandle } from './target.js';
import { isLoopbackUrl, startServerCommand, type ServerCommand } from './serverCommand.js';
import { ServerProcessSampler } from './serverProcess.js';
import type { Run, RunOptions } from './runContext.js';

/** `--server-cmd` needs a URL target on this machine, and one server for the whole run. */
function checkServerCommand(scenario: Scenario, shard: { count: number }): string {
  const t = scenario.target;
  if (t.kind !== 'url') throw new UserError("--server-cmd: only with --target (the URL the command's server listens on)", EXIT_USAGE);
  if (!isLoopbackUrl(t.url))
    throw new UserError(
      `--server-cmd: --target must be on this machine (127.0.0.1, ::1 or localhost) to start and measure its server here, got "${redactUrl(t.url)}"`,
      EXIT_USAGE,
    );
  if (shard.count > 1) throw new UserError('--server-cmd: not with --shard (each shard would start a server of its own)', EXIT_USAGE);
  return t.url;
}

/**
 * The target step: starts `--server-cmd`'s server (and samples its cost), opens the target, and
 * aborts the run on Ctrl-C or when the embedded server exits. On failure it stops what it started.
 */
export async function openRunTarget(
  scenario: Scenario,
  shard: { count: number },
  options: RunOptions,
  state: RunState,
  say: (line: string) => void,
): Promise<Pick<Run, 'target' | 'command' | 'sampler' | 'idMap'>> {
  const commandUrl = options.serverCommand ? checkServerCommand(scenario, shard) : undefined;
  const command: ServerCommand | undefined =
    options.serverCommand && commandUrl ? await startServerCommand(commandUrl, options.serverCommand, say, options.signal) : undefined;
  const sampler = command
    ? new ServerProcessSampler(command.pid, () => state.abort(`the server command (${command.name}) exited: none of its processes is left`))
    : undefined;
  sampler?.start();
  let target: TargetHandle;
  try {
    target = await openTarget(scenario, (line) => say(`server: ${line}`), options.signal);
  } catch (err) {
    sampler?.stop();
    await command?.stop();
    throw err;
  }
  if (options.signal?.aborted) state.abort('interrupted');
  else options.signal?.addEventListener('abort', () => state.abort('interrupted'));
  void target.server?.exited.then((code) => state.abort(`embedded server exited (${code})`));
  return { target, command, sampler, idMap: new IdMap() };
}
