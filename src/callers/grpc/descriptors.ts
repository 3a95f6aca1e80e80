/**
 * Protobuf descriptors without generated code: a registry built from a descriptor set file
 * (`buf build -o services.binpb`) or from the file descriptors a server sends over
 * reflection.
 */
import { readFile } from "node:fs/promises";
import {
  create,
  createFileRegistry,
  type DescFile,
  type FileRegistry,
  fromBinary,
} from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorSetSchema,
  file_google_protobuf_any,
  file_google_protobuf_api,
  file_google_protobuf_descriptor,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_source_context,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_type,
  file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";

/**
 * The well-known types, used when a descriptor set or a server leaves them out (some
 * reflection servers do: every client is assumed to know them).
 */
const WELL_KNOWN: ReadonlyMap<string, DescFile> = new Map(
  [
    file_google_protobuf_any,
    file_google_protobuf_api,
    file_google_protobuf_descriptor,
    file_google_protobuf_duration,
    file_google_protobuf_empty,
    file_google_protobuf_field_mask,
    file_google_protobuf_source_context,
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
    file_google_protobuf_type,
    file_google_protobuf_wrappers,
  ].map((file) => [file.proto.name, file]),
);

/** Whether registryFromFiles can fill in this import itself. */
export function isWellKnown(fileName: string): boolean {
  return WELL_KNOWN.has(fileName);
}

/** Reads a `FileDescriptorSet` (binary) from a file. Throws an Error naming the file. */
export async function loadDescriptorSet(path: string): Promise<FileRegistry> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`cannot read descriptors ${path}: ${(error as Error).message}`);
  }
  try {
    return registryFromFiles(fromBinary(FileDescriptorSetSchema, bytes).file);
  } catch (error) {
    throw new Error(
      `descriptors ${path} is not a FileDescriptorSet (build one with "buf build -o ${path}"): ${(error as Error).message}`,
    );
  }
}

/**
 * Builds a registry from file descriptors in any order, adding well-known types that are
 * missing. Throws when an import is neither given nor well known.
 */
export function registryFromFiles(files: Iterable<FileDescriptorProto>): FileRegistry {
  const byName = new Map<string, FileDescriptorProto>();
  for (const file of files) byName.set(file.name, file);
  // createFileRegistry wants every file after its imports.
  const ordered: FileDescriptorProto[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, importer: string | undefined): void => {
    const seen = state.get(name);
    if (seen === "done") return;
    if (seen === "visiting") throw new Error(`import cycle through ${name}`);
    const file = byName.get(name) ?? WELL_KNOWN.get(name)?.proto;
    if (file === undefined) {
      throw new Error(`${importer ?? "a descriptor"} imports ${name}, which is missing`);
    }
    state.set(name, "visiting");
    for (const dependency of file.dependency) visit(dependency, name);
    state.set(name, "done");
    ordered.push(file);
  };
  for (const name of byName.keys()) visit(name, undefined);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
}
