// Starts govuk-frontend's components (error summary focus, header menu and the like). Every page
// works without it. It is a file of its own because the content security policy allows no inline
// script: govuk-frontend's usual inline snippet that marks the body as supported lives here instead,
// and as a module it runs only in browsers that govuk-frontend supports.
import { initAll } from './govuk/govuk-frontend.min.js'

document.body.classList.add('govuk-frontend-supported')
initAll()
