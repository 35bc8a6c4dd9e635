/** Why clean turned a line away; stored as rejected_rows.reason. */
export type RejectReason =
  | "EmptyDomain"
  | "InvalidDomain"
  | "IpAddress"
  | "NonPublicDomain"
  | "PlatformUrl"
  | "EmptyCompanyName"
  | "MissingEmployeeCount"
  | "InvalidEmployeeCount"
  | "Duplicate"

export const rejectReasons: ReadonlyArray<RejectReason> = [
  "EmptyDomain",
  "InvalidDomain",
  "IpAddress",
  "NonPublicDomain",
  "PlatformUrl",
  "EmptyCompanyName",
  "MissingEmployeeCount",
  "InvalidEmployeeCount",
  "Duplicate"
]

export interface FieldRejection {
  readonly reason: RejectReason
  readonly message: string
}
