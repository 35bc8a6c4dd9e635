import { Layout } from "./Layout.js"

export const LoginPage = (props: { readonly next: string; readonly error?: string | undefined }) => (
  <Layout title="Sign in" section="login">
    <h1>Sign in</h1>
    <form method="post" action="/app/login" class="panel" style="max-width: 28rem">
      {props.error ? (
        <p class="notice error" role="alert">
          {props.error}
        </p>
      ) : null}
      <input type="hidden" name="next" value={props.next} />
      <label>
        API key
        <input type="password" name="key" required autocomplete="current-password" autofocus />
      </label>
      <p class="count">Asked once: this browser keeps a session cookie.</p>
      <button type="submit">Sign in</button>
    </form>
  </Layout>
)
