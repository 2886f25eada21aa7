package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/grant"
	"grantflow/http/apiv1"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
	"grantflow/workflows"
)

// The next step the applications page gives an applicant at every stage is the one the JSON API's
// "actions" give the same person.
func TestNextStepsAreTheAPIsActions(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if err := demo.Seed(ctx, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	(&apiv1.Server{Store: st, TokenTTL: time.Hour}).Register(r.Group("/api/v1"))
	u, err := st.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := st.IssueToken(ctx, u.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	schemes, _ := st.Schemes(ctx)
	grassroots := []workflows.Stage{workflows.StageDraft, workflows.StageSubmitted, workflows.StageScreening, workflows.StageIneligible,
		workflows.StageAssessment, workflows.StageDecision, workflows.StageInformationRequested, workflows.StageDeclined, workflows.StageApproved,
		workflows.StageOffered, workflows.StageLapsed, workflows.StageAccepted, workflows.StagePaid, workflows.StageReportSubmitted, workflows.StageClosed}
	service := append(grassroots, workflows.StageModeration, workflows.StageActive, workflows.StageFinalReport, workflows.StageFinalSubmitted,
		workflows.StageTerminatedEarly)
	for _, sc := range schemes {
		rounds, _ := st.Rounds(ctx, sc.ID)
		stages := grassroots
		if sc.Kind == "service" {
			stages = service
		}
		for _, stage := range stages {
			id, err := st.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: sc.ID, RoundID: rounds[0].ID, Title: string(stage)})
			if err != nil {
				t.Fatal(err)
			}
			if sc.Kind == "service" {
				err = st.SaveServiceDetails(ctx, id, grant.ServiceDetails{Service: "Youth diversion", Years: []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(30000)}}})
				if err != nil {
					t.Fatal(err)
				}
			}
			if stage != workflows.StageDraft {
				err := st.RecordEvent(ctx, store.Event{Application: id, Key: fmt.Sprintf("test-%d", id), At: time.Now(), ActorName: "test", ActorRole: "system",
					What: "moved for the test", Status: string(stage)})
				if err != nil {
					t.Fatal(err)
				}
			}
			req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/v1/applications/%d", id), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			var detail struct {
				Actions []string `json:"actions"`
			}
			if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &detail) != nil {
				t.Fatalf("%s %s: the API answered %d: %s", sc.Kind, stage, w.Code, w.Body)
			}
			app, err := st.Application(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			got := apiv1.MemberActions(app)
			if fmt.Sprint(got) != fmt.Sprint(detail.Actions) {
				t.Errorf("%s at %s: the page's actions %v, the API's %v", sc.Kind, stage, got, detail.Actions)
			}
			if step := nextStep(got); (step == "") != !slices.ContainsFunc(got, owedByApplicant) {
				t.Errorf("%s at %s: actions %v read as %q", sc.Kind, stage, got, step)
			}
			if label, _ := statusLabel(stage); label == "" || label == string(stage) {
				t.Errorf("%s has no label", stage)
			}
		}
	}
}

// Once paid, the step at hand is the report, and its hint says so rather than "Paid".
func TestProgressOnceGrantIsPaid(t *testing.T) {
	steps := progressOf(scheme.Grassroots, workflows.StagePaid)
	for _, st := range steps {
		switch st.Name {
		case "Payment":
			if st.Status != progressDone {
				t.Errorf("payment once paid: %+v", st)
			}
		case "End-of-grant report":
			if st.Status != progressCurrent || st.Hint != "Grant paid: the report is due after the project ends" {
				t.Errorf("the report once paid: %+v", st)
			}
		}
	}
}
