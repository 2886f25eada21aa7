// Package threesixtygiving owns Grantflow's publication of its awards in the 360Giving Data
// Standard (version 1.4.3): the JSON package and the CSV flattening that spreadsheets use, both
// written by streaming the grants register (store.EachRegisterGrant) one award at a time, and the
// validator that checks a file against the standard's schemas and codelists, which are embedded
// from standard/ (CC BY 4.0, attributed in standard/NOTICE.md) so nothing is fetched.
//
// What an award says in public is decided by the register's rows; this package decides only how
// they are spelt in 360Giving: identifiers (360G-<prefix>-<reference>, GB-CHC-/GB-COH- or
// 360G-<prefix>-ORG-<id>), amounts, dates, programme and beneficiary locations with their ONS codes.
package threesixtygiving
