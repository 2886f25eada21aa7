package apiv1

import (
	"grantflow/scheme"
	"grantflow/store"
)

// MayView is the API's visibility rule for an application, for the web pages that read the store
// directly: applicants see only their own organisation's applications, staff see all. Anyone else
// must be told the application is not found, never that it is forbidden.
func MayView(u store.User, app store.Application) bool { return mayView(u, app) }

// MayReadUploads is who may read an application's uploaded documents (a safeguarding policy, say):
// whoever may view the application, except an administrator, whose work is the office's set-up
// rather than its grants.
func MayReadUploads(u store.User, app store.Application) bool {
	return mayView(u, app) && u.Role != scheme.RoleAdmin
}
