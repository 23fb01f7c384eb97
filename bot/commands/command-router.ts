import type { Context } from 'probot';
import { codeSpan } from '../../formats/checks/index.js';
import type { BotServices } from '../bot-services.js';
import { coordinates } from '../bot-services.js';
import { IssueCommentEvent, type RepositoryPayload } from '../events/payloads.js';
import { findMarkedComment, postCommentOnce } from '../publish/marked-comment.js';
import { commandKey, replyMarker, type CommandKey } from '../render/markers.js';

/** Repository permissions, weakest first (GitHub's role names). */
export const PERMISSIONS = ['none', 'read', 'triage', 'write', 'maintain', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** One `/dgit <verb>` command of pull-request comments. */
export interface CommentCommand {
  /** The word after `/dgit`. */
  readonly verb: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** The least permission the commenter needs, checked with GitHub at every command. */
  readonly permission: Permission;
  run(invocation: CommandInvocation): Promise<void>;
}

/** A command as written in a comment, with who wrote it and where. */
export interface CommandInvocation {
  verb: string;
  args: string[];
  pullRequest: number;
  commenter: string;
  /** The command's comment, as the queue records what queued or dequeued a pull request. */
  key: CommandKey;
  repository: RepositoryPayload;
  context: Context;
  services: BotServices;
  /**
   * Answer the command on the pull request, once: the reply carries a hidden marker
   * naming the command's comment, and a command already answered is not run again.
   * The text is posted as it is: escape what came from users or data.
   */
  reply(markdown: string): Promise<void>;
}

/** The first line of `body` that is a `/dgit` command (a quoted `> /dgit` is not). */
export function parseCommand(body: string): { verb: string; args: string[] } | undefined {
  for (const line of body.split(/\r?\n/)) {
    const match = /^\/dgit(?:\s+(.*))?$/.exec(line.trim());
    if (!match) continue;
    const words = (match[1] ?? '').split(/\s+/).filter(Boolean);
    return { verb: (words[0] ?? '').toLowerCase(), args: words.slice(1) };
  }
  return undefined;
}

/**
 * Routes `/dgit <verb>` comments on pull requests to the registered commands.
 * Comments by bots, edits and comments on issues are ignored; a command needing
 * more than read access is run only after GitHub confirms the commenter has it
 * (asked every time: permissions change), otherwise the bot says no, politely.
 * Every answer is marked with the command's comment id, and a command whose answer
 * is there already is not run again: a redelivery, even to a bot that lost its
 * delivery log, neither repeats the command nor its answer.
 */
export class CommandRouter {
  private readonly commands = new Map<string, CommentCommand>();

  register(command: CommentCommand): void {
    if (!/^[a-z][a-z0-9-]*$/.test(command.verb)) throw new Error(`invalid command verb ${JSON.stringify(command.verb)}`);
    if (this.commands.has(command.verb)) throw new Error(`two commands named ${command.verb}`);
    this.commands.set(command.verb, command);
  }

  get size(): number {
    return this.commands.size;
  }

  async dispatch(context: Context, services: BotServices): Promise<void> {
    const event = IssueCommentEvent.parse(context.payload);
    if (event.action !== 'created' || !event.issue.pull_request || event.comment.user.type === 'Bot') return;
    const parsed = parseCommand(event.comment.body ?? '');
    if (!parsed) return;
    const where = coordinates(event.repository);
    const key = commandKey('comment', event.comment.id);
    const marker = replyMarker(key);
    const identity = await services.identity();
    if (await findMarkedComment(context.octokit, where, event.issue.number, marker, identity)) {
      context.log.info({ comment: event.comment.id }, 'command answered already; not run again');
      return;
    }
    const reply = async (markdown: string) => {
      await postCommentOnce(context.octokit, where, event.issue.number, marker, `${marker}\n${markdown}`, identity);
    };
    const command = this.commands.get(parsed.verb);
    if (!command) {
      const known = [...this.commands.values()].map((c) => `- ${codeSpan(`/dgit ${c.verb}`)}: ${c.summary}`);
      const opening = parsed.verb === '' ? 'dgit commands:' : `dgit does not know ${codeSpan(`/dgit ${parsed.verb}`)}. Commands:`;
      await reply([opening, '', ...known].join('\n'));
      return;
    }
    const commenter = event.comment.user.login;
    if (command.permission !== 'none' && command.permission !== 'read') {
      const held = await permissionOf(context, where, commenter);
      if (!permits(held, command.permission)) {
        await reply(`Sorry, ${codeSpan(`/dgit ${command.verb}`)} needs ${command.permission} access to this repository, and ${codeSpan(commenter)} has ${held}.`);
        return;
      }
    }
    await command.run({ ...parsed, pullRequest: event.issue.number, commenter, key, repository: event.repository, context, services, reply });
  }
}

/** The commenter's (or labeller's) permission on the repository, as GitHub says now. */
export async function permissionOf(context: Context, where: { owner: string; repo: string }, username: string): Promise<Permission> {
  let data: { permission: string; role_name?: string };
  try {
    ({ data } = await context.octokit.rest.repos.getCollaboratorPermissionLevel({ ...where, username }));
  } catch (error) {
    if ((error as { status?: number }).status === 404) return 'none';
    throw error;
  }
  const role = data.role_name;
  for (const name of [role, data.permission]) if (name && (PERMISSIONS as readonly string[]).includes(name)) return name as Permission;
  return 'none';
}

/** Whether `held` is at least `needed`. */
export function permits(held: Permission, needed: Permission): boolean {
  return PERMISSIONS.indexOf(held) >= PERMISSIONS.indexOf(needed);
}
