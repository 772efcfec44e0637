/**
 * @module
 * Prefect's `NotSet` sentinel: "this placeholder had no value". A whole-string placeholder with no
 * value renders to NotSet, and a dict key or list item that renders to NotSet is dropped.
 */
import type { PyFloatLike, PyIntLike } from "../prefect/types.ts";

/** The sentinel itself. Compare with `===` or {@link isNotSet}. */
export const NotSet: unique symbol = Symbol.for("pushpool.template.NotSet");
export type NotSetType = typeof NotSet;

/** True for the {@link NotSet} sentinel. */
export function isNotSet(value: unknown): value is NotSetType {
  return value === NotSet;
}

/** A JSON value that may hold {@link NotSet} anywhere: the input and output of `applyValues`. */
export type Template =
  | null
  | boolean
  | number
  | string
  | PyFloatLike
  | PyIntLike
  | NotSetType
  | Template[]
  | { [key: string]: Template };
