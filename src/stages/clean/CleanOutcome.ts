import type { CleanCompany } from "../../schema/CleanCompany.js"
import type { Rejection } from "./cleanRow.js"

/** What clean made of one line. */
export type CleanOutcome =
  | {
      readonly _tag: "Accepted"
      readonly company: CleanCompany
      /** The country cell names no known country; kept raw, counted in the report. */
      readonly countryUnknown: boolean
    }
  | { readonly _tag: "Rejected"; readonly rejection: Rejection }
