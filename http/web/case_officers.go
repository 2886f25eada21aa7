package web

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
)

// An application's case officer on the staff page: who it is, and for those the rule book lets
// assign one (apiv1's MayAssignCaseOfficer), "Assign to me" and a choice of officer.

const fCaseOfficer = "case-officer"

// caseOfficerView is the staff page's case officer section.
type caseOfficerView struct {
	Name      string   // "" when nobody is assigned
	MayAssign bool     // the person may assign (or reassign) the case officer
	Me        string   // the person's own user id, for "Assign to me"
	IsMe      bool     // the person is the case officer already
	Officers  []option // whom they may choose
	Selected  string
}

// caseOfficerOf lays out the section for the person signed in.
func (s *Server) caseOfficerOf(c *gin.Context, d apiv1.ApplicationDetail) (caseOfficerView, error) {
	u, _ := currentUser(c)
	v := caseOfficerView{MayAssign: d.MayAssignCaseOfficer, Me: strconv.FormatInt(u.ID, 10)}
	if d.CaseOfficer != nil {
		v.Name, v.IsMe, v.Selected = d.CaseOfficer.Name, d.CaseOfficer.ID == u.ID, strconv.FormatInt(d.CaseOfficer.ID, 10)
	}
	if !v.MayAssign {
		return v, nil
	}
	officers, err := s.opts.API.CaseOfficers(c.Request.Context(), u)
	if err != nil {
		return v, err
	}
	for _, o := range officers {
		v.Officers = append(v.Officers, option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
	}
	return v, nil
}

// assignCaseOfficer assigns (or reassigns) the case officer chosen, or the person themselves.
func (s *Server) assignCaseOfficer(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	rules := []fieldRule{on("user_id", fCaseOfficer, "Case officer")}
	f := stepForm(c, rules)
	// Who may assign is the API's to say first; a choice that is not an officer's id is its refusal too.
	var req apiv1.CaseOfficerRequest
	req.UserID, _ = strconv.ParseInt(f.Value(fCaseOfficer), 10, 64)
	err := s.opts.API.AssignCaseOfficer(c.Request.Context(), u, id, req)
	s.afterStep(c, id, err, "case-officer", s.onApplication(c, id, f, rules))
}
