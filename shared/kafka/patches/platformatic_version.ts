/**
 * The one @platformatic/kafka version the subclasses in this folder were
 * written against. Each of them reaches past the library's documented API
 * (the symbols its clients pick protocol versions with), so each is only
 * right for the code it was read from: its constructor calls
 * {@linkcode requirePatchedPlatformatic} and refuses any other version with
 * one sentence that says what to review, rather than run on code nobody read.
 *
 * @example
 * ```ts
 * import { platformaticMismatch, requirePatchedPlatformatic } from "./platformatic_version.ts";
 * console.log(platformaticMismatch("stable_offsets.ts", "2.13.0")); // the sentence
 * requirePatchedPlatformatic("stable_offsets.ts"); // throws on any other installed version
 * ```
 * @module
 */
import { clientSoftwareVersion } from "@platformatic/kafka";

/** The @platformatic/kafka version the patches were read from, and the one deno.json pins. */
export const PATCHED_PLATFORMATIC_VERSION = "2.12.1";

/**
 * Why `patch` (a file of this folder) must not run on library version
 * `version`, or `undefined` when it may. Pure.
 */
export function platformaticMismatch(patch: string, version: string): string | undefined {
  if (version === PATCHED_PLATFORMATIC_VERSION) return undefined;
  return `@platformatic/kafka is ${version}, but shared/kafka/patches/${patch} was written for ` +
    `${PATCHED_PLATFORMATIC_VERSION}: review it against the new version's dist/clients code ` +
    `(or pin @platformatic/kafka ${PATCHED_PLATFORMATIC_VERSION} in deno.json)`;
}

/** Throws the mismatch sentence unless the installed library is the patched version. */
export function requirePatchedPlatformatic(
  patch: string,
  version: string = clientSoftwareVersion,
): void {
  const mismatch = platformaticMismatch(patch, version);
  if (mismatch) throw new Error(mismatch);
}
