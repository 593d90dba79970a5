//! The embedded provider's people, administered with `manage:people` (REST, the admin
//! screen) or from the server's shell. An admin never types someone's password: a new
//! person gets a one-time link to choose it. With an external provider people are
//! managed there, and these calls say so.

use app::{
    admin::{parse_role, Invitation, NewPerson, Person, PersonStatus, Role},
    auth::Scope,
    error::AppError,
};

use super::{log_change, Operator, ServerServices};
use db::{clock::now_ms, is_unique_violation};
use provider::{admin, store as accounts};

use crate::{error::ApiError, store::admin_log::Target};

fn person(account: &accounts::Account, never_signed_up: bool) -> Person {
    let status = if account.disabled {
        PersonStatus::Disabled
    } else if never_signed_up {
        PersonStatus::Invited
    } else {
        PersonStatus::Active
    };
    Person {
        id: account.id.clone(),
        email: account.email.clone(),
        name: account.name.clone(),
        role: account.role,
        status,
    }
}

impl ServerServices {
    /// The embedded provider's issuer, or the refusal to manage people of another one.
    fn people_issuer(&self) -> Result<&str, AppError> {
        self.embedded_issuer.as_deref().ok_or_else(|| AppError::Forbidden {
            message: "this server signs people in at an external OpenID Connect provider: manage people there".into(),
        })
    }

    /// Nobody disables themselves or changes their own role (the last admin would lock
    /// everyone out).
    fn not_oneself(&self, by: Operator<'_>, id: &str, issuer: &str) -> Result<(), AppError> {
        match by {
            Operator::User(user) if user.issuer == issuer && user.subject == id => {
                Err(AppError::Conflict {
                    message:
                        "you cannot disable yourself or change your own role; ask another admin"
                            .into(),
                })
            }
            _ => Ok(()),
        }
    }

    async fn person_by_id(conn: &mut sqlx::AnyConnection, id: &str) -> Result<Person, ApiError> {
        let account = accounts::account(conn, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let invited = accounts::awaits_first_password(conn, id).await?;
        Ok(person(&account, invited))
    }

    /// Everyone who signs in at the embedded provider, by email.
    pub async fn people(&self, by: Operator<'_>) -> Result<Vec<Person>, ApiError> {
        by.require(Scope::ManagePeople)?;
        self.people_issuer()?;
        let mut conn = self.db.acquire().await?;
        let never = accounts::never_signed_up(&mut conn).await?;
        Ok(accounts::accounts(&mut conn)
            .await?
            .iter()
            .map(|account| person(account, never.contains(&account.id)))
            .collect())
    }

    /// Adds a person without a password and returns the one-time link that lets them
    /// choose it. A taken email is a 409.
    pub async fn invite_person(
        &self,
        by: Operator<'_>,
        new: &NewPerson,
    ) -> Result<Invitation, ApiError> {
        by.require(Scope::ManagePeople)?;
        let issuer = self.people_issuer()?;
        let draft = new.parse()?;
        let unusable = admin::unusable_password_hash().await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let account = accounts::NewAccount {
            email: &draft.email,
            name: &draft.name,
            role: draft.role,
            password_hash: &unusable,
        };
        let id = match accounts::insert_account(&mut tx, &account, now).await {
            Ok(id) => id,
            Err(error) if is_unique_violation(&error) => {
                return Err(AppError::Conflict {
                    message: format!("{} has an account already", draft.email),
                }
                .into())
            }
            Err(error) => return Err(error.into()),
        };
        let (link, expires_at) = admin::issue_invitation(&mut tx, issuer, &id, now).await?;
        log_change(
            &mut tx,
            by,
            Target::Person(&id),
            "invite",
            Some(format!("{} ({})", draft.email, draft.role)),
            now,
        )
        .await?;
        let person = Self::person_by_id(&mut tx, &id).await?;
        tx.commit().await?;
        Ok(Invitation {
            person,
            link,
            expires_at,
        })
    }

    /// A new one-time link for someone (an invitation that expired, or a forgotten
    /// password); their older links stop working. Their password changes only when
    /// they use it.
    pub async fn reinvite_person(
        &self,
        by: Operator<'_>,
        id: &str,
    ) -> Result<Invitation, ApiError> {
        by.require(Scope::ManagePeople)?;
        let issuer = self.people_issuer()?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let person = Self::person_by_id(&mut tx, id).await?;
        if person.status == PersonStatus::Disabled {
            return Err(AppError::Conflict {
                message: format!("{} is disabled: enable them first", person.email),
            }
            .into());
        }
        let (link, expires_at) = admin::issue_invitation(&mut tx, issuer, id, now).await?;
        log_change(
            &mut tx,
            by,
            Target::Person(id),
            "invite",
            Some(format!("new link for {}", person.email)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Invitation {
            person,
            link,
            expires_at,
        })
    }

    /// Disables (their sign-ins end at once; their last access token lives out its
    /// minutes) or enables someone.
    pub async fn set_person_disabled(
        &self,
        by: Operator<'_>,
        id: &str,
        disabled: bool,
    ) -> Result<Person, ApiError> {
        by.require(Scope::ManagePeople)?;
        let issuer = self.people_issuer()?;
        self.not_oneself(by, id, issuer)?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let before = Self::person_by_id(&mut tx, id).await?;
        if (before.status == PersonStatus::Disabled) == disabled {
            return Ok(before);
        }
        accounts::set_disabled(&mut tx, id, disabled, now).await?;
        if disabled {
            accounts::end_sign_ins(&mut tx, id, now).await?;
        }
        log_change(
            &mut tx,
            by,
            Target::Person(id),
            if disabled { "disable" } else { "enable" },
            Some(before.email.clone()),
            now,
        )
        .await?;
        let after = Self::person_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Gives someone another role. Their sign-ins end, so the scopes of the new role
    /// apply from their next sign-in (a refresh never grants more than was granted).
    pub async fn set_person_role(
        &self,
        by: Operator<'_>,
        id: &str,
        role: &str,
    ) -> Result<Person, ApiError> {
        by.require(Scope::ManagePeople)?;
        let issuer = self.people_issuer()?;
        let role: Role = parse_role(role)?;
        self.not_oneself(by, id, issuer)?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let before = Self::person_by_id(&mut tx, id).await?;
        if before.role == role {
            return Ok(before);
        }
        accounts::set_role(&mut tx, id, role, now).await?;
        accounts::end_sign_ins(&mut tx, id, now).await?;
        log_change(
            &mut tx,
            by,
            Target::Person(id),
            "role",
            Some(format!("{}: {} -> {}", before.email, before.role, role)),
            now,
        )
        .await?;
        let after = Self::person_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }
}
