// The v0 wire protocol (Arvados-compatible, plus evbench's `publish` extension), shared by the
// reference server and the runner so both sides agree on names and shapes.

export const WEBSOCKET_PATH = '/websocket';

/** Close code and reason for a session whose outgoing queue exceeded its byte budget. */
export const CLOSE_SLOW_CLIENT = 4008;
export const CLOSE_SLOW_CLIENT_REASON = 'slow client';

/** A filter: [attribute, operator, operand], e.g. ["event_type","in",["update"]]. */
export type Filter = [string, string, unknown];

export interface SubscribeMessage {
  method: 'subscribe';
  filters?: Filter[];
  /** Replay every stored event with id > last_log_id that matches, then continue live. */
  last_log_id?: number;
}

export interface UnsubscribeMessage {
  method: 'unsubscribe';
  filters?: Filter[];
}

/** What a publisher sends for one event; the server assigns id, uuid and (if absent) event_at. */
export interface PublishedEvent {
  event_type: string;
  object_uuid?: string;
  object_owner_uuid?: string;
  object_kind?: string;
  /** Intended publish time, RFC 3339 UTC with microseconds. */
  event_at?: string;
  properties?: Record<string, unknown>;
}

export interface PublishMessage {
  method: 'publish';
  events: PublishedEvent[];
}

export type ClientMessage = SubscribeMessage | UnsubscribeMessage | PublishMessage;

/**
 * Server → client status. On a subscribe, `last_log_id` is the log head at the moment the
 * subscription took effect: live delivery starts after it. On a publish, `first_id`..`last_id` are
 * the (contiguous) ids given to the batch. `gap` announces ids the session will not receive.
 */
export interface StatusMessage {
  status: number;
  message?: string;
  last_log_id?: number;
  first_id?: number;
  last_id?: number;
  gap?: [number, number];
}

/** An event as delivered. Field order on the wire is exactly this one (clients scan raw frames). */
export interface EventMessage {
  msgID: number;
  id: number;
  uuid: string;
  object_uuid: string;
  object_owner_uuid: string;
  object_kind: string;
  event_type: string;
  event_at: string;
  properties: Record<string, unknown>;
}

/** Token conventions of the synthetic permission directory (`serve --users N --groups-per-user G`). */
export const userToken = (i: number): string => `user-${i}`;
/** The group every user may read; it is last in each user's list, so a linear scan walks the whole list. */
export const PUBLIC_GROUP = 'group-all';
export const privateGroup = (user: number, k: number): string => `group-${user}-${k}`;
