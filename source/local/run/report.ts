// SPDX-License-Identifier: Apache-2.0
/** The human-readable summary of a local run (the JSON report is the LocalRunReport itself). */
import type { RecoveryPointRestore } from './point-in-time';
import type { LocalRunReport, WorkflowReport } from './local-run';
import { refusalHint, type WorkflowFailure } from './failure';
import type { ParityResult } from './parity';

const number = (value: number): string => value.toLocaleString('en-US');
/** `1 group`, `2 groups`, `1,000 users`. */
export const plural = (count: number, singular: string, pluralForm = `${singular}s`): string =>
  `${number(count)} ${count === 1 ? singular : pluralForm}`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function isParity(value: LocalRunReport['parity']): value is ParityResult {
  return !('skipped' in value);
}

function workflowLines(name: string, report: WorkflowReport | undefined): string[] {
  if (report === undefined) return [`${name.padEnd(16)} not run`];
  const line =
    `${name.padEnd(16)} ${report.status.padEnd(10)} ${seconds(report.wallMs).padStart(9)}` +
    `   ${number(report.historyEvents)} history events, largest state ${number(report.maxStatePayloadBytes)} bytes`;
  if (report.error === undefined) return [line];
  return [`${line}   ${report.error}: ${firstLine(report.cause ?? '')}`, ...failureLines(report.failure)];
}

/** The failed state and the error its Lambda threw, or the refusal, under the workflow's line. */
export function failureLines(failure: WorkflowFailure | undefined): string[] {
  if (failure === undefined) return [];
  if (failure.refusal) {
    const hint = refusalHint(failure.message);
    return [
      `  refused by design at state "${failure.state}"${failure.lambda !== undefined ? ` (${failure.lambda})` : ''}: ${failure.message}`,
      ...(hint !== undefined ? [`  ${hint}`] : []),
    ];
  }
  return [
    `  failed at state "${failure.state}"${failure.lambda !== undefined ? ` (${failure.lambda})` : ''}`,
    `  error: ${failure.error}: ${failure.message}`,
  ];
}

/** The message inside a Lambda error document, or the first line of any other cause. */
export function firstLine(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage.split('\n')[0] ?? '';
  } catch {
    // not JSON
  }
  return cause.split('\n')[0]?.slice(0, 300) ?? '';
}

/**
 * Cognito requests per operation and workflow: the successful ones, and the attempts when throttled
 * or failed requests add to them (successful + throttled + failed = attempts).
 */
function callsTable(report: LocalRunReport): string[] {
  const workflows = [report.export, report.import];
  const operations = [...new Set(workflows.flatMap((w) => Object.keys(w?.cognitoCalls ?? {})))].sort();
  if (operations.length === 0) return ['Cognito requests: none'];
  const cell = (workflow: WorkflowReport | undefined, operation: string): string => {
    const attempts = workflow?.cognitoCalls[operation] ?? 0;
    const ok = attempts - (workflow?.throttled[operation] ?? 0) - (workflow?.cognitoErrors[operation] ?? 0);
    return attempts === ok ? number(ok) : `${number(ok)} of ${number(attempts)}`;
  };
  const width = Math.max(
    8,
    ...operations.flatMap((operation) => workflows.map((workflow) => cell(workflow, operation).length)),
  );
  const row = (label: string, a: string, b: string): string =>
    `  ${label.padEnd(36)} ${a.padStart(width)} ${b.padStart(width)}`;
  const lines = [
    'Cognito requests per operation: successful, or "successful of attempts" when some were throttled or failed',
    row('', 'export', 'import'),
  ];
  for (const operation of operations)
    lines.push(row(operation, cell(report.export, operation), cell(report.import, operation)));
  const sum = (values: Record<string, number> | undefined): string =>
    number(Object.values(values ?? {}).reduce((a, b) => a + b, 0));
  lines.push(
    row('throttled (TooManyRequestsException)', sum(report.export.throttled), sum(report.import?.throttled)),
    row('failed (other errors)', sum(report.export.cognitoErrors), sum(report.import?.cognitoErrors)),
  );
  return lines;
}

function parityLines(parity: LocalRunReport['parity']): string[] {
  if (!isParity(parity)) return [`Parity           not checked: ${parity.skipped}`];
  const { counts } = parity;
  const excluded =
    counts.excludedUsers === 0
      ? ''
      : `; ${plural(counts.excludedUsers, 'user')} and ${plural(counts.excludedMemberships, 'membership')} excluded by design`;
  const lines = [
    `Parity           ${parity.ok ? 'OK' : 'FAILED'}   ${plural(counts.users, 'user')}, ${plural(counts.groups, 'group')}, ${plural(counts.memberships, 'membership')} compared${excluded}`,
  ];
  const show = <T>(label: string, items: T[], render: (item: T) => string): void => {
    if (items.length === 0) return;
    lines.push(`  ${label}: ${number(items.length)}`);
    for (const item of items.slice(0, 10)) lines.push(`    ${render(item)}`);
    if (items.length > 10) lines.push(`    ... ${number(items.length - 10)} more (see --report)`);
  };
  show('missing users', parity.missingUsers, (user) => user);
  show('unexpected users', parity.unexpectedUsers, (user) => user);
  show('missing groups', parity.missingGroups, (group) => group);
  show('unexpected groups', parity.unexpectedGroups, (group) => group);
  show('missing memberships', parity.missingMemberships, (m) => `${m.group} ← ${m.user}`);
  show('unexpected memberships', parity.unexpectedMemberships, (m) => `${m.group} ← ${m.user}`);
  show(
    'mismatches',
    parity.mismatches,
    (m) => `${m.item} ${m.field}: expected ${JSON.stringify(m.expected)}, found ${JSON.stringify(m.actual)}`,
  );
  show('excluded by design', parity.excluded, (e) => `${e.user}: ${e.reason}`);
  const check = parity.restoreReport;
  if (check !== undefined) {
    const outcomes = Object.entries(check.outcomes)
      .map(([outcome, count]) => `${number(count)} ${outcome}`)
      .join(', ');
    lines.push(
      `Restore report   ${check.ok ? 'OK' : 'FAILED'}   ${number(check.rows)} rows for ${number(check.expectedRows)} backed-up users (${outcomes || 'none'}); ${check.key}`,
    );
    show('users without a row', check.missingRows, (user) => user);
    show('rows with a wrong old or new sub', check.wrongSubs, (user) => user);
    show('users with several rows', check.duplicateRows, (user) => user);
    show('rows whose signIn step does not fit the user status', check.wrongSignIn ?? [], (user) => user);
  }
  const configuration = parity.configuration;
  if (configuration !== undefined) {
    const { compared } = configuration;
    lines.push(
      `Configuration    ${configuration.ok ? 'OK' : 'FAILED'}   ${compared.settings} settings, ` +
        `${plural(compared.schemaAttributes, 'schema attribute')}, ${plural(compared.clients, 'app client')} ` +
        `(${configuration.clientIdsMapped} ids mapped), ${plural(compared.resourceServers, 'resource server')}, ` +
        `${plural(compared.identityProviders, 'identity provider')} compared`,
    );
    for (const difference of configuration.differences.slice(0, 20))
      lines.push(`  configuration: ${difference}`);
    for (const note of configuration.notes) lines.push(`  configuration note: ${note}`);
  }
  for (const note of parity.notes) lines.push(`  note: ${note}`);
  return lines;
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

/** The injected faults and what they hit; the scenarios' backup counts. */
export function faultLines(report: LocalRunReport): string[] {
  const lines: string[] = [];
  const faults = report.faults;
  if (faults !== undefined) {
    lines.push(`Faults: ${faults.specs.join(' ')}`);
    for (const crash of faults.crashes)
      lines.push(
        `  crash: ${crash.target} ${crash.point}${crash.invocation !== undefined ? ` (invocation ${crash.invocation})` : ''} at ${seconds(crash.atMs)} (Lambda.SdkClientException)`,
      );
    const internal = sum(faults.cognito.internalError);
    const dropped = sum(faults.cognito.dropped);
    if (internal + dropped > 0)
      lines.push(
        `  Cognito: ${number(internal)} calls answered HTTP 500, ${number(dropped)} dropped after the operation`,
      );
    const ddb = faults.dynamodb;
    if (ddb !== undefined) {
      lines.push(
        `  DynamoDB: ${number(sum(ddb.throughputExceeded))} calls answered ProvisionedThroughputExceededException, ` +
          `${number(ddb.unprocessedCalls)} BatchWriteItem calls left ${number(ddb.unprocessedItems)} items unprocessed`,
      );
    }
    if (faults.lostUsers !== undefined)
      lines.push(
        `  lost users: ${number(faults.lostUsers)} deleted from the new pool before the reconciliation`,
      );
    if (faults.tamperedUsers !== undefined)
      lines.push(
        `  tampered users: ${number(faults.tamperedUsers)} changed in the new pool before the reconciliation`,
      );
    if (faults.timeouts !== undefined) {
      const shortened = Object.entries(faults.timeouts).map(([id, s]) => `${id} ${s} s`);
      lines.push(`  short timeouts: ${shortened.join(', ') || 'none'}`);
    }
  }
  const restored = report.restoredPool;
  if (restored !== undefined && report.import?.status !== 'SUCCEEDED') {
    lines.push(
      `Restored pool after the failed import: ${number(restored.users)} users; missing ${number(restored.missingUsers)} users, ` +
        `${number(restored.missingMemberships)} memberships; ${number(restored.disabledLeftEnabled)} disabled users enabled`,
    );
  }
  const v1 = report.v1Table;
  if (v1 !== undefined) {
    lines.push(
      `v1.0.10 table: ${number(v1.memberships)} membership items written as v1.0.10 writes them, ` +
        `${number(v1.namedByUsername)} naming their member by the Cognito Username`,
    );
  }
  const emptied = report.emptiedPool;
  if (emptied !== undefined) {
    lines.push(
      `Emptied pool: export ${emptied.export.status}; backup user items ${number(emptied.userItemsBefore)} before, ` +
        `${number(emptied.userItemsAfter)} after; error notification: ${emptied.errorNotified ? 'yes' : 'no'}`,
    );
  }
  const drill = report.drill;
  if (drill !== undefined) {
    lines.push(
      `Restore drill: ${drill.status}; ${number(drill.usersRestored)} users restored${drill.sampled ? ' (a sample)' : ''}; ` +
        `parity ${drill.parityOk ? 'OK' : 'FAILED'}; projected full restore ${drill.projectedRestoreMinutes ?? '-'} min; ` +
        `scratch pool ${drill.scratchPoolDeleted ? 'deleted' : 'LEFT BEHIND'}` +
        (drill.failure !== undefined ? `; ${drill.failure}` : ''),
    );
    const alarms = Object.entries(drill.alarms);
    if (alarms.length > 0)
      lines.push(`Alarms (evaluated locally): ${alarms.map(([id, state]) => `${id} ${state}`).join(', ')}`);
    const sample = drill.sample;
    if (sample !== undefined)
      lines.push(
        `Drill sample: ${number(sample.users)} users, ${number(sample.groups)} groups, ` +
          `${number(sample.memberships)} memberships; groups with a sampled member ${sample.groupsWithSampledMember} ` +
          `of ${sample.groupsWithMembers}; restore paths ${sample.pathsInSample} of ${sample.pathsInBackup} (` +
          Object.entries(sample.paths)
            .map(([path, users]) => `${path} ${number(users)}`)
            .join(', ') +
          `); disabled users ${number(sample.disabled)}`,
      );
  }
  const departed = report.departedUsers;
  if (departed !== undefined) {
    lines.push(
      `Departed users: ${number(departed.departed)} deleted from the pool; second export ${departed.export.status}; ` +
        `backup user items ${number(departed.userItemsBefore)} before, ${number(departed.userItemsAfter)} after`,
    );
  }
  const points = report.recoveryPoints;
  if (points !== undefined) {
    const damage = points.damage;
    if (damage !== undefined) {
      lines.push(
        `Damage: ${damage.attribute} overwritten on ${number(damage.overwritten)} users, ${number(damage.deleted)} deleted, ` +
          `${number(damage.disabled)} disabled, ${number(damage.groupsDeleted)} group deleted, ${number(damage.groupsChanged)} changed; ` +
          `second export ${points.secondExport ?? 'not run'}: ${number(points.damagedItems)} backup items changed or deleted`,
      );
    }
    const restore = (label: string, point: RecoveryPointRestore): string =>
      `Restore ${label}${point.recoveryPoint !== undefined ? ` ${point.recoveryPoint}` : ''}: ${point.status}` +
      (point.skipped !== undefined
        ? ` (${point.skipped})`
        : `, parity with the pool before the damage: ${point.parityOk ? 'OK' : 'FAILED'}`);
    lines.push(restore('AsOf', points.asOf), restore('from snapshot', points.snapshot));
  }
  return lines;
}

export function formatSummary(report: LocalRunReport): string {
  const seed = report.seed;
  const lines = [
    '',
    `Seed: ${seed.source}: ${plural(seed.users, 'user')} (${number(seed.disabledUsers)} disabled, ${number(seed.federatedUsers)} federated), ${plural(seed.groups, 'group')}, ${plural(seed.memberships, 'membership')}; username attribute: ${seed.usernameAttributes.join(' or ') || 'none'}`,
    `Settings: COGNITO_TPS ${report.settings.tps}, latency ${report.settings.latency}, Cognito quotas ${report.settings.throttling ? 'on' : 'off'}, Wait states ≤ ${report.settings.maxWaitMs} ms, empty long polls ≤ ${report.settings.maxReceiveWaitMs} ms`,
    '',
    ...workflowLines('ExportWorkflow', report.export),
    ...(report.importBeforeResume !== undefined
      ? workflowLines('ImportWorkflow (before the Resume)', report.importBeforeResume)
      : []),
    ...workflowLines(
      report.importBeforeResume !== undefined ? 'ImportWorkflow (Resume)' : 'ImportWorkflow',
      report.import,
    ),
    ...parityLines(report.parity),
    '',
    ...callsTable(report),
  ];
  const imported = report.import;
  if (imported?.status === 'SUCCEEDED') {
    const byJob = (imported.importJobs ?? []).reduce((sum, job) => sum + job.imported, 0);
    const created =
      (imported.cognitoCalls.AdminCreateUser ?? 0) -
      (imported.throttled.AdminCreateUser ?? 0) -
      (imported.cognitoErrors.AdminCreateUser ?? 0);
    lines.push(
      `Users restored: ${number(byJob + created)} (${number(byJob)} by the CSV import job, ${number(created)} by AdminCreateUser)`,
    );
  }
  for (const job of report.import?.importJobs ?? []) {
    lines.push(
      `User import job ${job.jobId}: ${job.status}, ${number(job.imported)} imported, ${number(job.skipped)} skipped, ${number(job.failed)} failed`,
    );
  }
  lines.push(...faultLines(report));
  const repair = report.repair;
  if (repair !== undefined) {
    const counts = (c: typeof repair.plan) =>
      `${c.usersToCreate} to recreate, ${c.usersToUpdate} to update, ${c.flagsToChange} flags, ` +
      `${c.groupsToCreate} groups to create, ${c.groupsToUpdate} to update, ${c.membershipsToAdd} memberships, ` +
      `${c.addedSince} added since`;
    const refused = repair.refused;
    if (refused !== undefined)
      lines.push(
        `Apply of a plan whose pool changed since (repair-change-before-apply): ${refused.status}` +
          `${refused.error !== undefined ? ` ${refused.error}` : ''}; pool ${refused.poolUnchanged ? 'unchanged' : 'CHANGED'}; ` +
          `${plural(refused.notifications.length, 'error notification')}; planned again as ${refused.replannedId}`,
      );
    lines.push(
      `Second export (after the damage) ${repair.secondExportStatus}; the plan's recovery point: ${repair.recoveryPoint}`,
      `Repair plan ${repair.planStatus}: ${counts(repair.plan)}`,
      `The damage (expected): ${counts(repair.expected)}`,
      `Repair apply ${repair.status}; parity ${repair.parityOk ? 'OK' : 'FAILED'}; of ${repair.presentThroughout} users ` +
        `present throughout, ${repair.subsKept} kept their sub and ${repair.passwordsKept} their password; ` +
        `users created since ${repair.createdSinceUntouched ? 'untouched' : 'CHANGED'}; ` +
        `verification messages ${repair.verificationMessages}; ${seconds(repair.apply.wallMs)}, ` +
        `${number(repair.apply.throttled)} calls throttled`,
    );
  }
  lines.push(
    `SNS notifications sent: ${report.notifications.sent} (${report.notifications.success} success, ${plural(report.notifications.error, 'error')})`,
    `Total ${seconds(report.totalWallMs)}; peak memory: harness ${report.peakRssMb.harness} MB` +
      (report.peakRssMb.dynalite !== undefined ? `, dynalite ${report.peakRssMb.dynalite} MB` : '') +
      (report.peakRssMb.fauxqs !== undefined ? `, fauxqs ${report.peakRssMb.fauxqs} MB` : ''),
    '',
    !report.ok
      ? 'Result: FAILED'
      : repair !== undefined
        ? 'Result: OK (the plan counted the damage exactly and the repaired pool matches the backup)'
        : 'Result: OK (both workflows succeeded and the restored pool matches)',
  );
  return lines.join('\n');
}
