package apiv1

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// An application's case officer: the commissioning officer who looks after it. Who may assign one,
// and who may be one, is the rule book's (workflows.PermitAssignCaseOfficer, MayBeCaseOfficer).

// CaseOfficerView names an application's case officer.
type CaseOfficerView struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func caseOfficerOf(a store.Application) *CaseOfficerView {
	if a.CaseOfficerID == nil || a.CaseOfficer == nil {
		return nil
	}
	return &CaseOfficerView{ID: *a.CaseOfficerID, Name: *a.CaseOfficer}
}

// CaseOfficerRequest names the officer to assign.
type CaseOfficerRequest struct {
	UserID int64 `json:"user_id"`
}

// CaseOfficers lists the people who may be case officers (for staff choosing one, and filtering by one).
func (s *Server) CaseOfficers(ctx context.Context, u store.User) ([]CaseOfficerView, error) {
	if !u.Role.IsStaff() {
		return nil, httperr.Forbidden("only staff may list case officers")
	}
	people, err := s.Store.UsersWithRoles(ctx, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning)
	if err != nil {
		return nil, err
	}
	out := []CaseOfficerView{}
	for _, p := range people {
		if workflows.MayBeCaseOfficer(workflows.Party{Role: p.Role}) == nil {
			out = append(out, CaseOfficerView{ID: p.ID, Name: p.Name})
		}
	}
	return out, nil
}

// AssignCaseOfficer makes the officer named the application's case officer (assigning or
// reassigning it), recording who did it in the history.
func (s *Server) AssignCaseOfficer(ctx context.Context, u store.User, id int64, r CaseOfficerRequest) error {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return err
	}
	conflicts, err := s.Store.Conflicts(ctx, id)
	if err != nil {
		return err
	}
	c := workflows.Case{Kind: scheme.Grassroots, Stage: workflows.Stage(app.Status)}
	if len(app.ServiceJSON) > 0 {
		c.Kind = scheme.Service
	}
	assigner := workflows.Party{Role: u.Role, Member: u.MemberOf(app.OrganisationID), Conflicted: isConflicted(conflicts, u.ID)}
	if err := workflows.PermitAssignCaseOfficer(c, assigner); err != nil {
		return err
	}
	if r.UserID <= 0 {
		return httperr.Field("user_id", "select the officer to assign")
	}
	officer, err := s.Store.User(ctx, r.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return httperr.Field("user_id", "is not a user")
	}
	if err != nil {
		return err
	}
	if err := workflows.MayBeCaseOfficer(workflows.Party{Role: officer.Role, Member: officer.MemberOf(app.OrganisationID),
		Conflicted: isConflicted(conflicts, officer.ID)}); err != nil {
		return err
	}
	return s.Store.AssignCaseOfficer(ctx, id, officer, u, s.now())
}

// mayAssignCaseOfficer says whether the person may assign the application's case officer, for the pages.
func mayAssignCaseOfficer(u store.User, app store.Application, c workflows.Case, conflicts []store.Conflict) bool {
	return workflows.PermitAssignCaseOfficer(c, workflows.Party{Role: u.Role, Member: u.MemberOf(app.OrganisationID),
		Conflicted: isConflicted(conflicts, u.ID)}) == nil
}

func (s *Server) listCaseOfficers(c *gin.Context) {
	list, err := s.CaseOfficers(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"case_officers": list})
}

func (s *Server) assignCaseOfficer(c *gin.Context) {
	app, u, err := s.loadVisible(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req CaseOfficerRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.AssignCaseOfficer(c.Request.Context(), u, app.ID, req); err != nil {
		s.fail(c, err)
		return
	}
	s.respondApplication(c, http.StatusOK, app.ID)
}
