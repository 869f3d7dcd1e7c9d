/**
 * Session data is stored as JSON, so its type may only hold what JSON keeps: a `Date` would be
 * a string after the next load, a `Map` an empty object, a function nothing at all.
 *
 * @module
 */

/**
 * A value JSON keeps as it is.
 *
 * @example
 * ```ts
 * const cart: JsonValue = { items: [{ sku: "A-1", quantity: 2 }], coupon: null };
 * ```
 */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

/** The reason a type cannot be session data, shown as the type TypeScript expected instead. */
type NotJson<Why extends string> = `session data must be JSON: ${Why}`;

/** `T` where JSON keeps it as it is, else a {@link NotJson} string type saying what to store. */
type JsonChecked<T> = unknown extends T
  ? T
  : T extends string | number | boolean | null | undefined
    ? T
    : T extends bigint
      ? NotJson<"store a bigint as a string">
      : T extends symbol
        ? NotJson<"a symbol cannot be stored">
        : T extends (...args: never[]) => unknown
          ? NotJson<"a function cannot be stored">
          : T extends Date
            ? NotJson<"store a Date as date.getTime() or date.toISOString()">
            : T extends ReadonlyMap<unknown, unknown> | ReadonlySet<unknown>
              ? NotJson<"store a Map or a Set as an array or a plain object">
              : T extends readonly unknown[]
                ? { [I in keyof T]: JsonElement<T[I]> }
                : { [K in keyof T]: JsonProperty<T[K]> };

/** An array element: `undefined` there would come back as `null`. */
type JsonElement<T> = T extends undefined
  ? NotJson<"an array cannot hold undefined (JSON stores it as null)">
  : JsonChecked<T>;

/** A property: it may be optional, but one that only ever holds `undefined` is never stored. */
type JsonProperty<T> = [Exclude<T, undefined>] extends [never]
  ? NotJson<"a key that only holds undefined is never stored">
  : JsonChecked<T>;

/**
 * The session data type `Data` with every field checked to be JSON: `SessionManager<Data>`
 * requires `Data extends JsonData<Data>`, so a field JSON would change (a `Date`, a `Map`, a
 * function, a `bigint`) fails to compile with a message saying what to store instead. Interfaces
 * and optional fields are fine. Write the same constraint on your own generic helpers.
 *
 * @example
 * ```ts
 * interface Data { theme?: "light" | "dark"; signedInAt?: number }
 * new SessionManager<Data>(); // compiles
 * // new SessionManager<{ when?: Date }>();
 * // ^ Type 'Date' is not assignable to type '"session data must be JSON: store a Date as …"'
 * function visits<Data extends JsonData<Data>>(manager: SessionManager<Data>): void {}
 * ```
 */
export type JsonData<Data> = { [K in keyof Data]: JsonProperty<Data[K]> };
