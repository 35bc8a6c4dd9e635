import { LoadError } from "./LoadError.js"

/** A file system error on opening or reading the input as a LoadError that names the file. */
export const fileError = (path: string, error: unknown): LoadError => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === "ENOENT") return new LoadError({ reason: "FileNotFound", path, message: `${path}: no such file` })
  const why =
    code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : code === "EISDIR"
        ? "it is a directory, not a file"
        : error instanceof Error
          ? error.message
          : String(error)
  return new LoadError({ reason: "Unreadable", path, message: `${path} cannot be read: ${why}` })
}
