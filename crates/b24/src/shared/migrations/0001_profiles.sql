-- b24's profiles when a store is set (what config.json holds without one), one row per
-- profile name. `profile` is the profile as config.json keeps it (JSON with the webhook URL or
-- the app's client secret): the database's access control protects it, as mode 0600 protects
-- the file. At most one row is the default.
CREATE TABLE b24_profiles (
    name       text PRIMARY KEY,
    profile    text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX b24_profiles_one_default ON b24_profiles (is_default) WHERE is_default;
