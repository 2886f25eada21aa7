package notify

import (
	"bytes"

	"grantflow/store"
)

// accountHeadings begin the subject of each kind of account message.
var accountHeadings = map[string]string{
	store.PurposeStaffInvitation:   "You have been invited to Grantflow",
	store.PurposeMemberInvitation:  "You have been invited to join an organisation on Grantflow",
	store.PurposePasswordReset:     "Reset your Grantflow password",
	store.PurposeEmailVerification: "Confirm your email address for Grantflow",
	"password_changed":             "Your Grantflow password has changed",
}

type accountData struct {
	Heading, Name, Message, Link, LinkText string
}

// ComposeAccount renders a message about a person's own account: an invitation, a reset or
// verification link, or word that their password changed. Its one link is on the public site.
func (c *Composer) ComposeAccount(m store.AccountMail) (store.MailContent, error) {
	heading, ok := accountHeadings[m.Kind]
	if !ok {
		heading = "About your Grantflow account"
	}
	d := accountData{Heading: heading, Name: oneLine(m.Name), Message: m.Message, Link: c.baseURL + m.Path, LinkText: m.LinkText}
	if d.Name == "" {
		d.Name = "there"
	}
	var subject, text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&subject, "account-subject", d); err != nil {
		return store.MailContent{}, err
	}
	if err := textTemplates.ExecuteTemplate(&text, "account-text", d); err != nil {
		return store.MailContent{}, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, "account-html", d); err != nil {
		return store.MailContent{}, err
	}
	return store.MailContent{Subject: oneLine(subject.String()), Text: text.String(), HTML: html.String(), Link: d.Link}, nil
}
