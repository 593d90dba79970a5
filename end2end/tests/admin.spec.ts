// Administration: an admin adds a project and invites a person on the Admin screen (embedded
// provider), the person chooses a password from the link and logs time on the new project;
// employees may not administer. Against an external provider, from an empty database,
// projects come from the REST API and from the server's CLI, and entries follow them.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { bin, dataDir, externalDatabaseURL } from '../playwright.config';
import { Device } from '../device';
import { logInWithPassword, providers, signIn, signInAs } from '../support';

const [embedded, external] = providers;

async function nav(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

async function signOut(page: Page) {
  await nav(page, 'Profile');
  // The app shows "Sign in" at once, then leaves for the provider's logout and comes
  // back: a navigation started before that return races it (net::ERR_ABORTED).
  const loggedOut = page.waitForResponse((response) => new URL(response.url()).pathname === '/oauth/logout');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await loggedOut;
  await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
}

test.describe('the Admin screen (embedded provider)', () => {
  test('an admin adds a project and invites a person, who sets a password and logs time on it', async ({ page }) => {
    test.setTimeout(60_000);
    const run = Date.now().toString(36);
    const code = `E2E${run.toUpperCase()}`;
    const projectName = `E2E project ${run}`;
    const person = { name: `Nina New ${run}`, email: `nina.${run}@exampleco.test`, password: `e2e-${run}-password` };

    await signIn(page, embedded, 'admin');
    await nav(page, 'Admin');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Admin');

    // A project, ready for time at once.
    const projects = page.getByTestId('admin-projects');
    const addProject = projects.getByRole('form', { name: 'Add a project' });
    await addProject.getByLabel('Code', { exact: true }).fill(code);
    await addProject.getByLabel('Colour', { exact: true }).fill('#0f766e');
    await addProject.getByLabel('Name', { exact: true }).fill(projectName);
    await addProject.getByLabel('Customer (optional)').fill('ExampleCo');
    await addProject.getByRole('button', { name: 'Add project' }).click();
    await expect(addProject.getByRole('status')).toHaveText(`Added ${projectName} · ${code}`);
    const row = projects.getByTestId('admin-project').filter({ hasText: `${projectName} · ${code}` });
    await expect(row).toHaveAttribute('aria-label', `${projectName} · ${code}`);
    await expect(row).toContainText('For ExampleCo');
    // The colour as an SVG fill (the page's CSP allows no inline style attributes).
    await expect(row.locator('svg.swatch circle')).toHaveAttribute('fill', '#0f766e');
    await expect(row.getByText('Archived', { exact: true })).toHaveCount(0);
    await expect(row.getByRole('button', { name: 'Rename', exact: true })).toBeVisible();
    await expect(row.getByRole('button', { name: 'Archive', exact: true })).toBeVisible();

    // A person, with a one-time link to choose their password.
    const people = page.getByTestId('admin-people');
    const invite = people.getByRole('form', { name: 'Invite a person' });
    await invite.getByLabel('Email', { exact: true }).fill(person.email);
    await invite.getByLabel('Name', { exact: true }).fill(person.name);
    // The select's name is its label and its chosen option ("Role Employee").
    await invite.getByLabel('Role').selectOption({ label: 'Employee' });
    await invite.getByRole('button', { name: 'Invite', exact: true }).click();
    const invitation = people.getByTestId('invitation');
    await expect(invitation).toContainText(`Send ${person.name} this link`);
    await expect(invitation.getByRole('button', { name: 'Copy link' })).toBeVisible();
    const link = await invitation.getByTestId('invitation-link').inputValue();
    expect(link.startsWith(`${embedded.app}/oauth/invitation?token=`), link).toBe(true);
    const invited = people.getByTestId('admin-person').filter({ hasText: person.email });
    await expect(invited).toContainText('Invited');
    await expect(invited.getByLabel(`Role of ${person.name}`)).toHaveValue('employee');
    await expect(invited.getByRole('button', { name: 'New link' })).toBeVisible();
    await signOut(page);

    // The person opens the link (a page of the provider, without script).
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Welcome, ${person.name}`);
    await page.getByLabel('New password', { exact: true }).fill(person.password);
    await page.getByLabel('New password again', { exact: true }).fill(person.password);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your password is set');
    await page.getByRole('link', { name: 'Open Timesheets' }).click();
    await expect(page).toHaveURL(`${embedded.app}/`);

    // …signs in with it like everyone else: an employee, no Admin tab.
    await signInAs(page, embedded, person.name, () => logInWithPassword(page, person.email, person.password));
    const tabs = page.getByRole('navigation', { name: 'Main' });
    await expect(tabs.getByRole('link', { name: 'Week', exact: true })).toBeVisible();
    await expect(tabs.getByRole('link', { name: 'Admin', exact: true })).toHaveCount(0);

    // …and logs time on the new project.
    const note = `First day ${run}`;
    await page.getByRole('button', { name: 'Add entry' }).click();
    const form = page.getByRole('form', { name: 'New entry' });
    await form.getByLabel('Project').selectOption({ label: `${projectName} · ${code}` });
    await form.getByLabel('Duration').fill('1:15');
    await form.getByLabel('Note (optional)').fill(note);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form).toHaveCount(0);
    const entry = page.getByTestId('entry').filter({ hasText: note });
    await expect(entry).toContainText(projectName);
    await expect(entry).toContainText('1h 15m');
  });

  test('an employee has no Admin tab, and /admin says the account may not administer', async ({ page }) => {
    await signIn(page, embedded, 'employee');
    const tabs = page.getByRole('navigation', { name: 'Main' });
    await expect(tabs.getByRole('link', { name: 'Week', exact: true })).toBeVisible();
    await expect(tabs.getByRole('link', { name: 'Admin', exact: true })).toHaveCount(0);

    await page.goto('/admin');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Admin');
    await expect(page.getByRole('alert').filter({ hasText: 'may not administer' })).toHaveText(
      'Your account may not administer this instance (it lacks manage:projects and manage:people).',
    );
    await expect(page.getByTestId('admin-projects')).toHaveCount(0);
    await expect(page.getByTestId('admin-people')).toHaveCount(0);

    // The server refuses too (asked from her other device).
    const emma = await Device.signIn(embedded, 'employee');
    const refused = await emma.call('POST', '/api/projects', {
      code: `NO${Date.now().toString(36).toUpperCase()}`,
      name: 'Not allowed',
    });
    expect(refused.status, await refused.text()).toBe(403);
  });
});

/// `timesheets …` on the external server's database, while it serves; its standard output.
function cli(...args: string[]): string {
  return execFileSync(bin, [...args, '--database-url', externalDatabaseURL], {
    env: { ...process.env, RUST_LOG: 'warn' },
    encoding: 'utf8',
  });
}

/// A day (today, or the latest before it) on which `hours` more fit in the person's 24 h:
/// a test run again on the same servers must not fail for the day's total.
async function dayWithRoom(device: Device, hours: number): Promise<string> {
  for (let back = 0; back < 30; back++) {
    const day = new Date();
    day.setDate(day.getDate() - back);
    const date = day.toLocaleDateString('en-CA');
    const answer = await device.call('GET', `/api/timesheets?from=${date}&to=${date}&limit=500`);
    expect(answer.status, await answer.clone().text()).toBe(200);
    const entries: { minutes: number }[] = (await answer.json()).items;
    const logged = entries.reduce((sum, entry) => sum + entry.minutes, 0);
    if (logged + hours * 60 <= 24 * 60) return date;
  }
  throw new Error('no day with room in the last 30 days');
}

test.describe('projects with an external provider, from an empty database', () => {
  test('added and archived with REST and with the CLI; entries on them follow', async ({ page }) => {
    test.setTimeout(60_000);
    const run = Date.now().toString(36).toUpperCase();
    const [code, name] = [`API${run}`, `API project ${run}`];
    const [cliCode, cliName] = [`CLI${run}`, `CLI project ${run}`];

    // The admin: manage:projects from the provider, so the Admin tab.
    await signIn(page, external, 'admin');
    await expect(
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin', exact: true }),
    ).toBeVisible();
    // REST calls come from the admin's and an employee's other devices (scripts with keys
    // of their own: the page's tokens are bound to the page's key).
    const admin = await Device.signIn(external, 'admin');
    const emma = await Device.signIn(external, 'employee');
    // The seed's body, 8 h twice: once on the REST project, once on the CLI's.
    const date = await dayWithRoom(emma, 16);
    const logEightHours = (project: string) => emma.call('POST', '/api/timesheets', { project, date, hours: 8 });
    const expectAnswer = async (answer: Response, status: number) => {
      const text = await answer.text();
      expect(answer.status, text).toBe(status);
      return JSON.parse(text);
    };

    // Unknown here: the refusal says how to add it.
    expect((await expectAnswer(await logEightHours(name), 422)).message).toContain('timesheets projects add');

    // Added with REST: time goes on it.
    expect(await expectAnswer(await admin.call('POST', '/api/projects', { code, name }), 201)).toMatchObject({
      code,
      name,
      active: true,
    });
    expect(await expectAnswer(await logEightHours(name), 201)).toMatchObject({
      project: code,
      project_name: name,
      date,
      hours: 8,
    });

    // Archived with REST: no more time on it.
    expect(await expectAnswer(await admin.call('POST', `/api/projects/${code}/archive`), 200)).toMatchObject({
      code,
      active: false,
    });
    expect((await expectAnswer(await logEightHours(name), 422)).message).toContain('is archived');

    // The same from the server's shell, on the database the server is using.
    expect(existsSync(`${dataDir}/external.db`), `the external server's database is in ${dataDir}`).toBe(true);
    expect(cli('projects', 'add', '--code', cliCode, '--name', cliName)).toContain(cliCode);
    expect(await expectAnswer(await logEightHours(cliName), 201)).toMatchObject({
      project: cliCode,
      project_name: cliName,
      date,
      hours: 8,
    });
    expect(cli('projects', 'archive', '--code', cliCode)).toContain(cliCode);
    expect((await expectAnswer(await logEightHours(cliName), 422)).message).toContain('is archived');
  });
});
