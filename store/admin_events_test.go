package store_test

import (
	"context"
	"testing"
	"time"

	"grantflow/store"
	"grantflow/store/storetest"
)

func TestAdminEventsAreRecordedOnceAndFiltered(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	at := time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC) // the night the clocks go back
	by := store.Actor{Name: "Ada Admin", Role: "admin"}
	acts := []store.AdminEvent{
		{Key: "scheme/1/created", Action: "scheme.created", SubjectKind: "scheme", SubjectID: 1, Subject: "Grassroots Community Fund", What: "Created the scheme"},
		{Key: "scheme/1/created", Action: "scheme.created", SubjectKind: "scheme", SubjectID: 1, Subject: "Grassroots Community Fund", What: "Created the scheme"}, // a retry
		{Key: "budget/1/2026/1", Action: "budget.set", SubjectKind: "budget", SubjectID: 1, Subject: "Grassroots Community Fund 2026-27", What: "Set the budget to £150,000.00", Why: "Approved by the Commissioner"},
	}
	for i, e := range acts {
		if err := s.RecordAdminEvent(ctx, by, at.Add(time.Duration(i)*time.Minute), e, map[string]string{"before": "", "after": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.AdminEvents(ctx, store.AdminEventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Action != "budget.set" || all[0].Why != "Approved by the Commissioner" || all[1].ActorName != "Ada Admin" {
		t.Fatalf("trail: %+v", all)
	}
	schemes, err := s.AdminEvents(ctx, store.AdminEventFilter{Action: "scheme."})
	if err != nil || len(schemes) != 1 || schemes[0].Key != "scheme/1/created" || string(schemes[0].Details) == "" {
		t.Fatalf("scheme acts: %+v %v", schemes, err)
	}
	none, err := s.AdminEvents(ctx, store.AdminEventFilter{From: at.Add(time.Hour)})
	if err != nil || len(none) != 0 {
		t.Fatalf("from filter: %+v %v", none, err)
	}
	if err := s.RecordAdminEvent(ctx, by, at, store.AdminEvent{Key: "k"}, nil); err == nil {
		t.Fatal("an event without an action was recorded")
	}
}
