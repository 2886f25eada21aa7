package apiv1

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/scheme"
	"grantflow/store"
)

// RegistrationRequest registers an applicant organisation and its first account.
type RegistrationRequest struct {
	Organisation struct {
		Name          string `json:"name"`
		Type          string `json:"type"`
		CharityNumber string `json:"charity_number"`
		CompanyNumber string `json:"company_number"`
		Address       string `json:"address"`
		Postcode      string `json:"postcode"`
	} `json:"organisation"`
	User struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
	} `json:"user"`
}

// minPasswordLength follows NCSC guidance: length over complexity rules.
const minPasswordLength = 10

// register creates an applicant organisation and its first user.
func (s *Server) register(c *gin.Context) {
	var req RegistrationRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	org, user, err := s.RegisterOrganisation(c.Request.Context(), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"organisation": org, "user": user})
}

// RegisterOrganisation is POST /registrations without HTTP, for the registration page too: the
// same checks, reasons and field names on both front doors.
func (s *Server) RegisterOrganisation(ctx context.Context, req RegistrationRequest) (store.Organisation, store.User, error) {
	if err := refuseBadText(req); err != nil { // bind refuses these first; the pages do not bind JSON
		return store.Organisation{}, store.User{}, err
	}
	p := problems{}
	o, u := req.Organisation, req.User
	p.required("organisation.name", o.Name)
	p.maxLen("organisation.name", o.Name, 200)
	if _, ok := scheme.OrganisationTypes[o.Type]; !ok {
		p.add("organisation.type", "must be one of registered_charity, cio, charitable_company, cic, community_group, individual, political_party, other")
	}
	if (o.Type == scheme.OrgRegisteredCharity || o.Type == scheme.OrgCIO) && strings.TrimSpace(o.CharityNumber) == "" {
		p.add("organisation.charity_number", "is required for a registered charity or CIO")
	}
	if (o.Type == scheme.OrgCharitableCompany || o.Type == scheme.OrgCIC) && strings.TrimSpace(o.CompanyNumber) == "" {
		p.add("organisation.company_number", "is required for a company")
	}
	p.maxLen("organisation.charity_number", o.CharityNumber, 50)
	p.maxLen("organisation.company_number", o.CompanyNumber, 50)
	p.required("organisation.address", o.Address)
	p.maxLen("organisation.address", o.Address, 500)
	p.required("organisation.postcode", o.Postcode)
	p.maxLen("organisation.postcode", o.Postcode, 20)
	p.required("user.name", u.Name)
	p.maxLen("user.name", u.Name, 200)
	p.maxLen("user.email", u.Email, 254)
	p.email("user.email", u.Email)
	if len(u.Password) < minPasswordLength {
		p.add("user.password", "must be at least 10 characters")
	}
	if len(u.Password) > 72 {
		p.add("user.password", "must be at most 72 bytes")
	}
	if err := p.err(); err != nil {
		return store.Organisation{}, store.User{}, err
	}
	org, user, err := s.Store.CreateOrganisationWithUser(ctx,
		store.Organisation{Name: strings.TrimSpace(o.Name), Type: o.Type, CharityNumber: strings.TrimSpace(o.CharityNumber),
			CompanyNumber: strings.TrimSpace(o.CompanyNumber), Address: strings.TrimSpace(o.Address), Postcode: strings.ToUpper(strings.TrimSpace(o.Postcode))},
		store.NewUser{Email: u.Email, Name: strings.TrimSpace(u.Name), Role: scheme.RoleApplicant, Password: u.Password,
			Unverified: true}) // verified by the link e-mailed now; submitting waits for it
	if errors.Is(err, store.ErrDuplicate) {
		return org, user, httperr.Field("user.email", "an account with this e-mail already exists; sign in instead")
	}
	return org, user, err
}

func (s *Server) me(c *gin.Context) { c.JSON(http.StatusOK, currentUser(c)) }

// listSchemes shows every scheme with its rules and rounds: public information.
func (s *Server) listSchemes(c *gin.Context) {
	list, err := s.Store.Schemes(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"schemes": list})
}

func (s *Server) getScheme(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	ctx := c.Request.Context()
	sc, err := s.Store.Scheme(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	rounds, err := s.Store.Rounds(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	budgets, err := s.Store.Budgets(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"scheme": sc, "rounds": rounds, "budgets": budgets})
}
