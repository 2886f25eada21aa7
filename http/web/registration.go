package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/scheme"
)

// The registration page sends its answers to the JSON API's RegisterOrganisation, so a person
// gets the same checks and reasons on either front door; the fields are named as the API names
// them, and each reason is shown with its field's label (refusalMessage).
const (
	fOrgName       = "organisation.name"
	fOrgType       = "organisation.type"
	fCharityNumber = "organisation.charity_number"
	fCompanyNumber = "organisation.company_number"
	fAddress       = "organisation.address"
	fPostcode      = "organisation.postcode"
	fUserName      = "user.name"
	fEmail         = "user.email"
	fPassword      = "user.password"
)

// registrationFields are in the order of the page, which the error summary follows.
var registrationFields = []string{fOrgName, fOrgType, fCharityNumber, fCompanyNumber, fAddress, fPostcode, fUserName, fEmail, fPassword}

var registrationLabels = map[string]string{
	fOrgName: "Organisation name", fOrgType: "Type of organisation", fCharityNumber: "Charity number",
	fCompanyNumber: "Company number", fAddress: "Address", fPostcode: "Postcode",
	fUserName: "Your full name", fEmail: "Email address", fPassword: "Password",
}

// registrationOf reads the page's answers into the API's request.
func registrationOf(f *form) apiv1.RegistrationRequest {
	var r apiv1.RegistrationRequest
	r.Organisation.Name, r.Organisation.Type = f.Raw(fOrgName), f.Raw(fOrgType)
	r.Organisation.CharityNumber, r.Organisation.CompanyNumber = f.Raw(fCharityNumber), f.Raw(fCompanyNumber)
	r.Organisation.Address, r.Organisation.Postcode = f.Raw(fAddress), f.Raw(fPostcode)
	r.User.Name, r.User.Email, r.User.Password = f.Raw(fUserName), f.Raw(fEmail), f.Raw(fPassword)
	return r
}

// registrationRules put the API's refusals on the page's fields, which are named as the API names them.
func registrationRules() []fieldRule {
	rules := make([]fieldRule, len(registrationFields))
	for i, name := range registrationFields {
		rules[i] = on(name, name, registrationLabels[name])
	}
	return rules
}

// organisationTypes are the radios, in a fixed order, named as the eligibility reasons name them.
func organisationTypes() []option {
	keys := []string{scheme.OrgRegisteredCharity, scheme.OrgCIO, scheme.OrgCharitableCompany, scheme.OrgCIC,
		scheme.OrgCommunityGroup, scheme.OrgIndividual, scheme.OrgPoliticalParty, scheme.OrgOther}
	out := make([]option, len(keys))
	for i, k := range keys {
		out[i] = option{Value: k, Label: upperFirst(scheme.OrganisationTypes[k])}
	}
	return out
}

// registerPage is what the registration template shows besides the form.
type registerPage struct {
	OrganisationTypes []option
	Return            string // where to go once registered (a path on this site), carried by the form
}

func (s *Server) registerForm(c *gin.Context) {
	if _, ok := currentUser(c); ok {
		c.Redirect(http.StatusSeeOther, returnTo(c.Query(returnField)))
		return
	}
	s.render(c, http.StatusOK, "register", page{Title: "Register your organisation", Nav: "register",
		Data: registerPage{OrganisationTypes: organisationTypes(), Return: returnFrom(c.Query(returnField))}})
}

// register creates the organisation and its first account, as POST /api/v1/registrations does,
// then signs the person in.
func (s *Server) register(c *gin.Context) {
	f := readForm(c)
	next := returnFrom(f.Raw(returnField))
	if _, ok := currentUser(c); ok {
		c.Redirect(http.StatusSeeOther, returnTo(next))
		return
	}
	show := func() {
		s.render(c, http.StatusUnprocessableEntity, "register", page{Title: "Register your organisation", Nav: "register", Form: f,
			Data: registerPage{OrganisationTypes: organisationTypes(), Return: next}})
	}
	if err := s.opts.API.CheckThrottle(c.Request.Context(), apiv1.ThrottleRegistration, c.ClientIP(), f.Value(fEmail)); err != nil {
		if he := httperr.From(err); he.Status < 500 {
			f.add(fEmail, upperFirst(he.Message))
			s.render(c, he.Status, "register", page{Title: "Register your organisation", Nav: "register", Form: f,
				Data: registerPage{OrganisationTypes: organisationTypes(), Return: next}})
			return
		}
		s.serverError(c, err)
		return
	}
	if f.invalid() {
		show()
		return
	}
	_, user, err := s.opts.API.RegisterOrganisation(c.Request.Context(), registrationOf(f))
	if he := httperr.From(err); err != nil && he.Status < 500 && f.refused(he, registrationRules()) {
		show()
		return
	}
	if err == nil {
		err = s.startSession(c, user)
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	if next != "" {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	c.Redirect(http.StatusSeeOther, "/applications?registered=1")
}
