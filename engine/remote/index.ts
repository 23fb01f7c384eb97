/** Remotes over git's smart HTTP: clone, fetch, pull (fetch + data merge), push. */
export { clone, type CloneOptions, type CloneOutcome } from './clone.js';
export { fetch, trackingRefs, type FetchOptions, type FetchOutcome, type TrackingRefUpdate } from './fetch.js';
export { pull, type PullOptions, type PullOutcome } from './pull.js';
export { push, sendRefUpdate, type PushOptions, type PushOutcome, type SentRefUpdate } from './push.js';
export { remoteRefTarget, fetchRemoteRef, pushRemoteRef } from './remote-ref.js';
export { addRemote, listRemotes, removeRemote, remoteUrl, upstreamOf, setUpstream, defaultRemote, checkRemoteName, type Remote } from './remote-config.js';
export { CredentialProvider, environmentCredentials, gitCredentialFill, TOKEN_USERNAME, type Credentials, type CredentialSource } from './credentials.js';
export { RemoteError, type RemoteFailure } from './remote-error.js';
export { parseRemoteUrl, redactUrl, defaultCloneDirectory, type RemoteUrl } from './remote-url.js';
export type { TransferCounts, TransferOptions, TransferProgress } from './transport.js';
