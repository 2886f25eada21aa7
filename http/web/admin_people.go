package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/scheme"
	"grantflow/store"
)

// "Manage people": an admin lists staff, invites a member of staff, changes a role or band title,
// disables and enables accounts, and re-sends or cancels invitations. Who may is
// scheme.Role.ManagesPeople, applied by the route group here and again by every API method.

// peopleManagers are the roles that reach these pages.
func peopleManagers() []scheme.Role {
	var out []scheme.Role
	for _, r := range scheme.Roles {
		if r.ManagesPeople() {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) registerAdminPeople(signed *gin.RouterGroup) {
	admin := signed.Group("/admin", s.requireRole(peopleManagers()...))
	admin.GET("/users", s.staffList)
	admin.GET("/users/invite", s.inviteStaffForm)
	admin.POST("/users/invite", s.inviteStaff)
	admin.GET("/users/:id", s.staffPage)
	admin.POST("/users/:id/role", s.changeStaffRole)
	admin.POST("/users/:id/disable", s.disableStaff)
	admin.POST("/users/:id/enable", s.enableStaff)
	admin.POST("/users/:id/invitation/resend", s.resendStaffInvitation)
	admin.POST("/users/:id/invitation/cancel", s.cancelStaffInvitation)
}

type staffListPage struct {
	Staff     []store.StaffMember
	Done      string
	SearchBox searchBox
	Pages     pagination
}

var staffDone = map[string]string{
	"invited": "Invitation sent", "role": "Role changed", "disabled": "Account disabled: every session has ended",
	"enabled": "Account enabled", "resent": "A new invitation has been sent", "cancelled": "Invitation cancelled",
}

func (s *Server) staffList(c *gin.Context) {
	u, _ := currentUser(c)
	q := c.Request.URL.Query()
	data := staffListPage{Done: staffDone[c.Query("done")],
		SearchBox: newSearchBox("/admin/users", "q", "Search staff", "Part of a name or an email address", q)}
	type found struct {
		list  []store.StaffMember
		links store.PageLinks
	}
	got, p, err := firstPageIfBadCursor(pageRequest(q, store.DefaultPageSize), func(p store.PageRequest) (found, error) {
		list, links, err := s.opts.API.StaffList(c.Request.Context(), u, searchText(q.Get("q")), p)
		return found{list, links}, err
	})
	if err != nil {
		s.serverError(c, err)
		return
	}
	data.Staff = got.list
	start := pager{}.pageStart(q, p)
	keep := url.Values{}
	if data.SearchBox.Value != "" {
		keep.Set("q", data.SearchBox.Value)
	}
	data.Pages = pager{}.numbered(paginationOf("Pages of staff", "/admin/users", keep, got.links), got.links, start, len(got.list), store.DefaultPageSize)
	f, status := &form{values: q}, http.StatusOK
	if data.SearchBox.Error != "" {
		f.add("q", data.SearchBox.Error)
		status = http.StatusUnprocessableEntity
	}
	s.render(c, status, "admin-users", page{Title: "Manage people", Nav: "people", Form: f, Data: data})
}

// roleOptions are the radios of a staff role, with a hint for the roles that need a band title.
func roleOptions() []option {
	var out []option
	for _, r := range apiv1.StaffRoles() {
		o := option{Value: string(r), Label: r.Title()}
		if apiv1.HasBand(r) {
			o.Hint = "Give their delegation band title below."
		}
		out = append(out, o)
	}
	return out
}

type staffFormPage struct {
	Roles  []option
	Member store.StaffMember
	Self   bool
	Done   string
}

var inviteRules = []fieldRule{
	on("name", "name", "Full name").missing("Enter their full name"),
	on("email", "email", "Email address").missing("Enter their email address"),
	on("role", "role", "Role").saying("must be one of "+roleList(), "Select a role"),
	on("band_title", "band_title", "Delegation band title"),
	on("reason", "reason", "Reason"),
}

func roleList() string {
	out := ""
	for i, r := range apiv1.StaffRoles() {
		if i > 0 {
			out += ", "
		}
		out += string(r)
	}
	return out
}

func (s *Server) inviteStaffForm(c *gin.Context) {
	s.render(c, http.StatusOK, "admin-invite", page{Title: "Invite a member of staff", Nav: "people", Data: staffFormPage{Roles: roleOptions()}})
}

func (s *Server) inviteStaff(c *gin.Context) {
	u, _ := currentUser(c)
	f := readForm(c)
	if !f.invalid() {
		_, err := s.opts.API.InviteStaff(c.Request.Context(), u, apiv1.InviteStaffRequest{Email: f.Value("email"), Name: f.Value("name"),
			Role: f.Value("role"), BandTitle: f.Value("band_title"), Reason: f.Value("reason")})
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/admin/users?done=invited")
			return
		}
		if he := httperr.From(err); he.Status >= 500 || !f.refused(he, inviteRules) {
			s.staffRefused(c, err, "/admin/users")
			return
		}
	}
	s.render(c, http.StatusUnprocessableEntity, "admin-invite", page{Title: "Invite a member of staff", Nav: "people", Form: f, Data: staffFormPage{Roles: roleOptions()}})
}

// staffRefused shows a refusal that names no field of the form on a page of its own.
func (s *Server) staffRefused(c *gin.Context, err error, back string) {
	he := httperr.From(err)
	switch {
	case he.Status >= 500:
		s.serverError(c, err)
	case he.Status == http.StatusNotFound:
		s.notFound(c)
	default:
		s.render(c, he.Status, "error", page{Title: "That could not be done", Data: errorPage{Heading: "That could not be done",
			Lines: refusalLines(he), Link: "Go back", LinkTo: back}})
	}
}

func (s *Server) staffMember(c *gin.Context) (store.StaffMember, bool) {
	u, _ := currentUser(c)
	id, ok := pathInt(c, "id")
	if !ok {
		s.notFound(c)
		return store.StaffMember{}, false
	}
	m, err := s.opts.API.StaffMember(c.Request.Context(), u, id)
	if err != nil {
		s.staffRefused(c, err, "/admin/users")
		return m, false
	}
	return m, true
}

func (s *Server) staffPage(c *gin.Context) {
	m, ok := s.staffMember(c)
	if !ok {
		return
	}
	f := &form{values: url.Values{"role": {string(m.Role)}, "band_title": {m.BandTitle}}}
	s.showStaff(c, http.StatusOK, m, f)
}

func (s *Server) showStaff(c *gin.Context, status int, m store.StaffMember, f *form) {
	u, _ := currentUser(c)
	s.render(c, status, "admin-user", page{Title: m.Name + " - Manage people", Nav: "people", Form: f,
		Data: staffFormPage{Roles: roleOptions(), Member: m, Self: m.ID == u.ID, Done: staffDone[c.Query("done")]}})
}

func staffPath(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

func (s *Server) changeStaffRole(c *gin.Context) {
	m, ok := s.staffMember(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := readForm(c)
	if !f.invalid() {
		role, band := f.Value("role"), f.Value("band_title")
		_, err := s.opts.API.ChangeStaff(c.Request.Context(), u, m.ID, apiv1.ChangeStaffRequest{Role: &role, BandTitle: &band, Reason: f.Value("reason")})
		if err == nil {
			c.Redirect(http.StatusSeeOther, staffPath(m.ID)+"?done=role")
			return
		}
		if he := httperr.From(err); he.Status >= 500 || !f.refused(he, []fieldRule{
			on("role", "role", "Role").saying("must be one of "+roleList(), "Select a role"),
			on("band_title", "band_title", "Delegation band title"),
			on("reason", "reason", "Reason").missing("Enter why the role is changing")}) {
			s.staffRefused(c, err, staffPath(m.ID))
			return
		}
	}
	s.showStaff(c, http.StatusUnprocessableEntity, m, f)
}

func (s *Server) setStaffDisabled(c *gin.Context, disabled bool, done string) {
	m, ok := s.staffMember(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	f := readForm(c)
	if f.invalid() { // a reason that could not be read: nothing is changed
		s.staffRefused(c, httperr.Field("reason", "contains characters that could not be read (it is not valid UTF-8): type it again"), staffPath(m.ID))
		return
	}
	_, err := s.opts.API.SetStaffDisabled(c.Request.Context(), u, m.ID, disabled, f.Value("reason"))
	if err != nil {
		s.staffRefused(c, err, staffPath(m.ID))
		return
	}
	c.Redirect(http.StatusSeeOther, staffPath(m.ID)+"?done="+done)
}

func (s *Server) disableStaff(c *gin.Context) { s.setStaffDisabled(c, true, "disabled") }
func (s *Server) enableStaff(c *gin.Context)  { s.setStaffDisabled(c, false, "enabled") }

func (s *Server) resendStaffInvitation(c *gin.Context) {
	m, ok := s.staffMember(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	if _, err := s.opts.API.ResendStaffInvitation(c.Request.Context(), u, m.ID); err != nil {
		s.staffRefused(c, err, staffPath(m.ID))
		return
	}
	c.Redirect(http.StatusSeeOther, staffPath(m.ID)+"?done=resent")
}

func (s *Server) cancelStaffInvitation(c *gin.Context) {
	m, ok := s.staffMember(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	if err := s.opts.API.CancelStaffInvitation(c.Request.Context(), u, m.ID); err != nil {
		s.staffRefused(c, err, staffPath(m.ID))
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/users?done=cancelled")
}
