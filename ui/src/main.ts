import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { createBackend } from "./lib/ipc";
import { AppState } from "./lib/state.svelte";

const backend = await createBackend();
mount(App, { target: document.getElementById("app")!, props: { app: new AppState(backend) } });
