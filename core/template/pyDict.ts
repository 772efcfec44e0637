/**
 * @module
 * Python dicts keep insertion order; JS objects list integer-like keys (`"443"`, `"8080"`) first,
 * in ascending order. A dict with such keys therefore carries its Python key order in a
 * non-enumerable symbol property ({@link KEY_ORDER}; invisible to `Object.keys`, `JSON.stringify`,
 * spreads and deep-equality), set by `parseJson` and kept by every write through {@link setOwn}.
 * Code that prints, copies or re-serialises a dict iterates it with {@link pyKeys} /
 * {@link pyEntries}. Objects without integer-like keys carry nothing: JS order is Python's order.
 */

/** The own key order of a dict that has integer-like keys. */
export const KEY_ORDER: unique symbol = Symbol.for("pushpool.pyDict.keyOrder");

type Dict<T> = { [key: string]: T };
type Ordered = { [KEY_ORDER]?: string[] };

/**
 * True for a key JS may enumerate out of insertion order: a canonical non-negative integer
 * (`"0"`, `"443"`; not `"01"` or `"-1"`). Any length, which is more than JS reorders: harmless.
 */
export function isIntLikeKey(key: string): boolean {
  const first = key.charCodeAt(0); // NaN for ""
  if (!(first >= 48 && first <= 57)) return false;
  if (first === 48) return key.length === 1;
  for (let i = 1; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Attaches `order` (the object's own keys, in Python order) to `obj`. */
export function withKeyOrder<T extends object>(obj: T, order: string[]): T {
  Object.defineProperty(obj, KEY_ORDER, {
    value: order,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return obj;
}

/** The object's own keys in Python order. */
export function pyKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  const order = (obj as Ordered)[KEY_ORDER];
  if (order === undefined) return keys;
  // Reconcile with the object as it is now: deleted keys go, keys set by plain assignment follow.
  const seen = new Set<string>();
  const out: string[] = [];
  for (const key of order) {
    if (!seen.has(key) && Object.hasOwn(obj, key)) {
      seen.add(key);
      out.push(key);
    }
  }
  if (out.length !== keys.length) for (const key of keys) if (!seen.has(key)) out.push(key);
  return out;
}

/** `Object.entries` in Python order. */
export function pyEntries<T>(obj: Dict<T>): Array<[string, T]> {
  return pyKeys(obj).map((key) => [key, obj[key] as T]);
}

/**
 * Python's `d[key] = value`: an own property (also for `__proto__`); a new key goes last, an
 * existing one keeps its place.
 */
export function setOwn<T>(obj: Dict<T>, key: string, value: T): void {
  if (!Object.hasOwn(obj, key)) {
    const order = (obj as Ordered)[KEY_ORDER];
    if (order !== undefined) order.push(key);
    else if (isIntLikeKey(key)) withKeyOrder(obj, [...Object.keys(obj), key]);
  }
  if (key === "__proto__")
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** Python's `del d[key]`. */
export function deleteOwn(obj: Dict<unknown>, key: string): void {
  if (!Object.hasOwn(obj, key)) return;
  delete obj[key];
  const order = (obj as Ordered)[KEY_ORDER];
  if (order !== undefined) {
    const at = order.indexOf(key);
    if (at >= 0) order.splice(at, 1);
  }
}

/** A shallow copy in the same key order (Python's `dict(d)` / `{**d}`). */
export function copyDict<T>(obj: Dict<T>): Dict<T> {
  const out: Dict<T> = {};
  for (const key of pyKeys(obj)) setOwn(out, key, obj[key] as T);
  return out;
}

/** A dict from `[key, value]` pairs, in their order (a repeated key keeps its first place, last value). */
export function dictFromEntries<T>(entries: Iterable<readonly [string, T]>): Dict<T> {
  const out: Dict<T> = {};
  for (const [key, value] of entries) setOwn(out, key, value);
  return out;
}
