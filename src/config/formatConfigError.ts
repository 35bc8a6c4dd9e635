import { ConfigError } from "effect"

/**
 * One line per problem, each naming the variable. Our own validators already put the variable name in
 * the message; Effect's built-in ones only put it in the path, so add it there.
 */
export const formatConfigError = (error: ConfigError.ConfigError): string => {
  const lines = ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: Array<string>, right: Array<string>) => [...left, ...right],
    orCase: (_, left: Array<string>, right: Array<string>) => [...left, ...right],
    invalidDataCase: (_, path, message) => [withName(path, message)],
    missingDataCase: (_, path, message) => [withName(path, message)],
    sourceUnavailableCase: (_, path, message) => [withName(path, message)],
    unsupportedCase: (_, path, message) => [withName(path, message)]
  })
  return [...new Set(lines)].join("\n")
}

const withName = (path: ReadonlyArray<string>, message: string) => {
  const name = path.join("_")
  return name === "" || message.startsWith(`${name}:`) ? message : `${name}: ${message}`
}
