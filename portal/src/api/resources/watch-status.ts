import { createContext, useContext } from "react";

/** Whether the app-wide tenant watch stream is connected (provided by the app layout). */
export const WatchStatusContext = createContext(false);
export const useWatchConnected = () => useContext(WatchStatusContext);
