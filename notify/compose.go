// Package notify owns telling people: it composes each recipient's message from templates (plain
// text and HTML, in the GOV.UK Notify style: what happened, what to do, by when, one link) and
// delivers the outbox that store.Notify fills over SMTP (Sender). Who receives a notification is
// the store's one rule (store.recipients); what it says is here.
package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"grantflow/scheme"
	"grantflow/store"
)

//go:embed templates
var templates embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templates, "templates/*.txt.tmpl"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/*.html.tmpl"))
)

// Composer renders messages with links to the public site.
type Composer struct {
	baseURL string
}

// NewComposer makes links from the public base URL (e.g. https://grants.example.org).
func NewComposer(publicBaseURL string) (*Composer, error) {
	u, err := url.Parse(publicBaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("public base URL must be an http or https address, not %q", publicBaseURL)
	}
	return &Composer{baseURL: strings.TrimRight(u.String(), "/")}, nil
}

// Outbox is the store's outbox using this composer, copying finance's notices to financeMailbox.
func (c *Composer) Outbox(financeMailbox string) store.Outbox {
	return store.Outbox{FinanceMailbox: financeMailbox, Compose: c.Compose, ComposeDigest: c.ComposeDigest, ComposeAccount: c.ComposeAccount, ComposeRound: c.ComposeRound}
}

// wording is what a kind of notification is called and asks of the person told. The heading
// begins the subject line: "Heading: the application's title".
type wording struct {
	heading   string
	applicant string // what an applicant should do
	staff     string // what staff should do
}

var wordings = map[string]wording{
	"reminder": {heading: "Reminder",
		applicant: "Sign in and complete what is asked before the date above.",
		staff:     "Sign in and complete what is asked before the date above."},
	"escalation": {heading: "Action needed",
		applicant: "Sign in to see what happens next.",
		staff:     "Sign in, check the application and decide what happens next."},
	"payment_due": {heading: "Payment due",
		staff: "Sign in to the finance page: one member of finance proposes the payment, another approves it, then it is paid and recorded so the group is told."},
	"tranche_held": {heading: "Payment held",
		applicant: "Sign in to see why the payment is held and what releases it.",
		staff:     "Sign in to see why the payment is held and what releases it."},
	"repayment_due": {heading: "Repayment due",
		applicant: "Repay the amount above by the date given. Sign in to see the details.",
		staff:     "Sign in to see the repayment and record it when it arrives."},

	// The moments a recorded fact tells (store/moments.go).
	"submission_received": {heading: "Application received",
		applicant: "You do not need to do anything now. You can see your application's progress in Grantflow."},
	"ineligible": {heading: "Application not eligible",
		applicant: "You do not need to do anything. Sign in to read why, and check the scheme's rules before you apply again."},
	"information_requested": {heading: "More information needed",
		applicant: "Sign in and answer the question by the date above. If you do not, we will assess your application without it."},
	"ready_for_you": {heading: "Ready for you",
		staff: "Sign in and review it."},
	"ready_for_decision": {heading: "Ready for a decision",
		staff: "Sign in, read the assessment and record your decision."},
	"declined": {heading: "Application not funded",
		applicant: "You do not need to do anything. Sign in to read the decision letter."},
	"offer": {heading: "Grant offer",
		applicant: "Read the offer letter, then sign in and accept the offer by the date above."},
	"offer_lapsed": {heading: "Offer lapsed",
		applicant: "You do not need to do anything. Contact us if you think this is wrong.",
		staff:     "You do not need to do anything. Sign in to see the application."},
	"offer_accepted": {heading: "Offer accepted",
		staff: "Sign in to see the award and what happens next."},
	"payment_recorded": {heading: "Payment made",
		applicant: "Check that the money has reached your bank account. Sign in to see what you need to do next."},
	"report_changes": {heading: "Changes needed to your report",
		applicant: "Sign in, change your report and send it again."},
	"grant_closed": {heading: "Grant closed",
		applicant: "You do not need to do anything. Keep your records of how the money was spent."},
	"ready_to_assess": {heading: "Ready to assess",
		staff: "Sign in, declare any conflict of interest and score the application."},
	"payment_to_approve": {heading: "Payment to approve",
		staff: "Sign in, check the payment on the finance page and approve it."},
	"case_officer_assigned": {heading: "You are the case officer",
		staff: "Sign in to read the application and see what it is waiting for."},
	"panel_assigned": {heading: "You are on a panel",
		staff: "Sign in, declare any conflict of interest and score the application by the date above."},
	"tranche_released": {heading: "Payment released",
		applicant: "You do not need to do anything. We will tell you when the payment has been made."},
	"variation_offered": {heading: "Change to your grant",
		applicant: "Read the varied agreement, then sign in and accept it by the date above."},
	"grant_varied": {heading: "Grant varied",
		staff: "Sign in to read the revised notice and change the payments due."},
	"variation_accepted": {heading: "Varied agreement accepted",
		staff: "You do not need to do anything. Sign in to see the award."},
	// Rounds (store/rounds.go): to an organisation with a draft as its round closes, and as it is locked.
	"round_closed_draft": {heading: "Funding round closed",
		applicant: "Sign in and submit your draft before the time above, when it will be locked."},
	"draft_locked": {heading: "Draft application locked",
		applicant: "You do not need to do anything. Watch for the scheme's next funding round."},
	"grant_terminated": {heading: "Grant ended early",
		applicant: "Sign in and send your final report.",
		staff:     "Sign in to read the ending notice and cancel the payments that will not be made."},
}

var fallback = wording{heading: "Update", applicant: "Sign in to see the details.", staff: "Sign in to see the details."}

type messageData struct {
	Heading, Title, Organisation, Name, Message, Action, Link, LinkText string
	LetterLink                                                          string // the offer letter or agreement, if the message is about one
	Copied                                                              string // why a head is copied on the case officer's notice
}

// Compose renders one recipient's message about a notification.
func (c *Composer) Compose(n store.NotificationContext, r store.Recipient) (store.MailContent, error) {
	w, ok := wordings[n.Kind]
	if !ok {
		w = fallback
	}
	action := w.staff
	if n.Audience == store.AudienceApplicant {
		action = w.applicant
	}
	if action == "" {
		action = fallback.staff
	}
	name := r.Name
	if name == "" {
		name = "there"
	}
	d := messageData{Heading: w.heading, Title: oneLine(n.Title), Organisation: oneLine(n.Organisation), Name: oneLine(name),
		Message: n.Message, Action: action, Link: fmt.Sprintf("%s/applications/%d", c.baseURL, n.ApplicationID),
		LinkText: "Open the application in Grantflow", Copied: r.Copied}
	if n.Audience == store.AudienceFinance || n.Kind == "payment_to_approve" { // finance work from their page (and the mailbox has no account)
		d.Link, d.LinkText = c.baseURL+"/finance", "Open the finance page in Grantflow"
	}
	if n.DocumentID != 0 {
		d.LetterLink = fmt.Sprintf("%s/documents/%d", c.baseURL, n.DocumentID)
	}
	if d.Title == "" {
		d.Title = fmt.Sprintf("application %d", n.ApplicationID)
	}
	var subject, text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&subject, "subject", d); err != nil {
		return store.MailContent{}, err
	}
	if err := textTemplates.ExecuteTemplate(&text, "text", d); err != nil {
		return store.MailContent{}, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, "html", d); err != nil {
		return store.MailContent{}, err
	}
	return store.MailContent{Subject: oneLine(subject.String()), Text: text.String(), HTML: html.String(), Link: d.Link}, nil
}

type digestLine struct {
	Title, Organisation, Stage, Since, Subject, Link string
}

type digestData struct {
	Day, Name, Link string
	Held, Queue     []digestLine
}

// ComposeDigest renders one person's daily digest: each held message (subject and link) and each
// application waiting for them, with one call to action.
func (c *Composer) ComposeDigest(d store.Digest) (store.MailContent, error) {
	data := digestData{Day: d.Day.Format("2 January 2006"), Name: oneLine(d.Recipient.Name), Link: c.baseURL + "/notifications"}
	if data.Name == "" {
		data.Name = "there"
	}
	for _, h := range d.Held {
		data.Held = append(data.Held, digestLine{Subject: oneLine(h.Subject), Link: h.Link})
	}
	for _, q := range d.Queue {
		line := digestLine{Title: oneLine(q.Title), Organisation: oneLine(q.Organisation), Stage: strings.ReplaceAll(q.Stage, "_", " "),
			Since: q.Since.In(scheme.London).Format("2 January 2006"), Link: fmt.Sprintf("%s/applications/%d", c.baseURL, q.ApplicationID)}
		if line.Title == "" {
			line.Title = fmt.Sprintf("Application %d", q.ApplicationID)
		}
		data.Queue = append(data.Queue, line)
	}
	var subject, text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&subject, "digest-subject", data); err != nil {
		return store.MailContent{}, err
	}
	if err := textTemplates.ExecuteTemplate(&text, "digest-text", data); err != nil {
		return store.MailContent{}, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, "digest-html", data); err != nil {
		return store.MailContent{}, err
	}
	return store.MailContent{Subject: oneLine(subject.String()), Text: text.String(), HTML: html.String(), Link: data.Link}, nil
}

// oneLine keeps a header-bound value on one line whatever a person typed.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// MustOutbox is the outbox for a base URL known to be good (tests and fixed settings); it panics
// on a bad one.
func MustOutbox(publicBaseURL, financeMailbox string) store.Outbox {
	c, err := NewComposer(publicBaseURL)
	if err != nil {
		panic(err)
	}
	return c.Outbox(financeMailbox)
}

type roundData struct {
	Heading, Scheme, Round, Name, Message, Action, Link, LinkText string
}

// ComposeRound renders a subscriber's message that a scheme's round opened or closed.
func (c *Composer) ComposeRound(n store.RoundNotice, r store.Recipient) (store.MailContent, error) {
	d := roundData{Heading: "Funding round open", Scheme: oneLine(n.Scheme), Round: oneLine(n.Round), Name: oneLine(r.Name), Message: n.Message,
		Action: "Sign in to read the scheme's guidance and start an application before the round closes.",
		Link:   fmt.Sprintf("%s/schemes/%d/rounds", c.baseURL, n.SchemeID), LinkText: "See the scheme's funding rounds in Grantflow"}
	switch n.Kind {
	case store.KindRoundClosed:
		d.Heading, d.Action = "Funding round closed", "You do not need to do anything. We will tell you when the scheme's next round opens."
	case store.KindRoundExtended:
		d.Heading, d.Action = "Funding round extended", "Sign in to finish and submit your application before the new closing time."
	}
	if d.Name == "" {
		d.Name = "there"
	}
	var subject, text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&subject, "round-subject", d); err != nil {
		return store.MailContent{}, err
	}
	if err := textTemplates.ExecuteTemplate(&text, "round-text", d); err != nil {
		return store.MailContent{}, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, "round-html", d); err != nil {
		return store.MailContent{}, err
	}
	return store.MailContent{Subject: oneLine(subject.String()), Text: text.String(), HTML: html.String(), Link: d.Link}, nil
}
