/** Why a cookie was not accepted as a session. */
export type RejectionReason =
  | "malformed"
  | "bad_signature"
  | "duplicate_cookie"
  | "unknown_session"
  | "renewed_token_reused"
  | "corrupt_record"
  | "invalid_data";

/**
 * An audit event. None carries a token, a cookie value or a store key: sessions are named by
 * their opaque `handle`, which is also what session listings show.
 */
export type SessionEvent =
  | { type: "created"; at: number; handle: string; userId: string | null }
  | {
      type: "rotated";
      at: number;
      handle: string;
      userId: string | null;
      reason: "privilege" | "renewal";
    }
  | { type: "destroyed"; at: number; handle: string; userId: string | null }
  | {
      type: "expired";
      at: number;
      handle: string;
      userId: string | null;
      reason: "idle" | "absolute";
    }
  | {
      type: "rejected";
      at: number;
      reason: RejectionReason;
      handle?: string;
      userId?: string | null;
      suppressed: number;
    }
  | { type: "revoked"; at: number; userId: string; count: number }
  | { type: "evicted"; at: number; handle: string; userId: string }
  | { type: "store_error"; at: number; code: string };

/** Receives audit events. It must not throw; an error it throws is reported as a warning. */
export type SessionEventListener = (event: SessionEvent) => void;
