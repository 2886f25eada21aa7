package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"grantflow/internal/demo"
)

// Staff sign in to their own work: officers to their queues, finance to payments (applicants to
// their applications, as before).
func TestStaffSignInLandsOnTheirWork(t *testing.T) {
	s := newSite(t)
	for email, home := range map[string]string{"officer@opcc.example.org": "/work", "assessor@opcc.example.org": "/work",
		"finance@opcc.example.org": "/finance", demo.Accounts[0].Email: "/applications"} {
		b := s.browser()
		b.fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {demo.Password}}).mustBe(t, http.StatusOK, home)
		b.get("/sign-in").mustBe(t, http.StatusOK, home)
	}
}

// A commissioning officer assigns themselves as case officer, the head of commissioning reassigns
// it; the history says who did each and whom they replaced; the find page and the API filter by
// case officer. Others may not assign (an assessor, finance, the applicant), nor may an assessor be
// assigned; finance may still find applications, read only.
func TestCaseOfficerAssignedReassignedAndFound(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	id, _ := offeredGrant(t, s.Store)
	path := fmt.Sprintf("/applications/%d", id)
	action := path + "/case-officer"
	officer, err := s.Store.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	head, err := s.Store.UserByEmail(ctx, "head@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	assessorUser, err := s.Store.UserByEmail(ctx, "assessor@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}

	o := signInAs(t, s, officer.Email)
	before := o.get(path)
	checkMarkup(t, before)
	before.mustContain(t, "Case officer", "Nobody has been assigned to look after this application yet.", "Assign to me")

	mine := o.fill(path, action, url.Values{"case-officer": {strconv.FormatInt(officer.ID, 10)}})
	mine.mustBe(t, http.StatusOK, path+"?done=case-officer")
	mine.mustContain(t, "The case officer has been assigned", "Olu Officer (you) looks after this application.", "Case officer assigned: Olu Officer")
	mine.mustNotContain(t, "Assign to me")

	// An assessor cannot be a case officer: said against the choice, nothing changed.
	wrong := o.fill(path, action, url.Values{"case-officer": {strconv.FormatInt(assessorUser.ID, 10)}})
	wrong.mustBe(t, http.StatusUnprocessableEntity, action)
	checkMarkup(t, wrong)
	wrong.mustContain(t, "There is a problem", "must be a commissioning officer or the head of commissioning", "Olu Officer (you) looks after this application.")

	h := signInAs(t, s, head.Email)
	h.fill(path, action, url.Values{"case-officer": {strconv.FormatInt(head.ID, 10)}}).mustBe(t, http.StatusOK, path+"?done=case-officer")
	h.get(path).mustContain(t, "Hana Head (you) looks after this application.", "Case officer assigned: Hana Head", "Replaces Olu Officer.")

	found := h.get("/staff/applications?officer=" + strconv.FormatInt(head.ID, 10))
	found.mustBe(t, http.StatusOK, "/staff/applications?officer="+strconv.FormatInt(head.ID, 10))
	found.mustContain(t, "Summer youth club", "Hana Head")
	h.get("/staff/applications?officer="+strconv.FormatInt(officer.ID, 10)).mustContain(t, "No applications match your search.")
	h.get("/staff/applications?officer=none").mustContain(t, "No applications match your search.")
	bad := h.get("/staff/applications?officer=" + strconv.FormatInt(assessorUser.ID, 10))
	bad.mustBe(t, http.StatusUnprocessableEntity, "/staff/applications?officer="+strconv.FormatInt(assessorUser.ID, 10))
	bad.mustContain(t, "Select a case officer from the list")

	// Those who may not assign are offered no form (the pages' access matrix in e2e posts it as each of them).
	for _, email := range []string{"assessor@opcc.example.org", "finance@opcc.example.org"} {
		signInAs(t, s, email).get(path).mustNotContain(t, "Assign to me", "Reassign")
	}
	if got, err := s.Store.Application(ctx, id); err != nil || got.CaseOfficer == nil || *got.CaseOfficer != "Hana Head" {
		t.Fatalf("after the refusals the case officer is %v (%v)", got.CaseOfficer, err)
	}
	finance := signInAs(t, s, "finance@opcc.example.org")
	finance.get("/staff/applications").mustContain(t, "Summer youth club", "Hana Head")

	// The API: the filter, and the applicant's refusal.
	status, body := s.api(http.MethodPost, "/api/v1/tokens", "", map[string]any{"email": head.Email, "password": demo.Password, "otp": s.nextCode()})
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	token := body["token"].(string)
	status, body = s.api(http.MethodGet, "/api/v1/applications?case_officer="+strconv.FormatInt(head.ID, 10), token, nil)
	if list, _ := body["applications"].([]any); status != http.StatusOK || len(list) != 1 {
		t.Errorf("API filter by case officer: %d %v", status, body)
	} else if co, _ := list[0].(map[string]any)["case_officer"].(map[string]any); co["name"] != "Hana Head" {
		t.Errorf("API list shows the case officer as %v", co)
	}
	if status, body = s.api(http.MethodGet, "/api/v1/applications?case_officer=someone", token, nil); status != http.StatusUnprocessableEntity {
		t.Errorf("API filter by a case officer that is not an id: %d %v", status, body)
	}
	_, body = s.api(http.MethodPost, "/api/v1/tokens", "", map[string]any{"email": demo.Accounts[0].Email, "password": demo.Password})
	applicant := body["token"].(string)
	if status, body = s.api(http.MethodPut, "/api/v1"+action, applicant, map[string]any{"user_id": officer.ID}); status != http.StatusForbidden {
		t.Errorf("the applicant assigning a case officer: %d %v", status, body)
	}
	if status, body = s.api(http.MethodPut, "/api/v1"+action, token, map[string]any{"user_id": officer.ID}); status != http.StatusOK {
		t.Errorf("the head reassigning through the API: %d %v", status, body)
	} else if co, _ := body["case_officer"].(map[string]any); co["name"] != "Olu Officer" {
		t.Errorf("after reassigning through the API the case officer is %v", co)
	}
}
